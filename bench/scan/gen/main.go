// Command gen writes a deterministic flyctl text log for benchmarking
// `jpops scan`: many machines, request/proxy/health noise, several boots,
// completed boot ops and a few hang signatures, with the ANSI colours flyctl
// always emits, or with -json the same entries as `flyctl logs --json`
// writes them: pretty-printed objects, one after another.
//
//	go run ./bench/scan/gen -n 1000000 -o app.log
//	go run ./bench/scan/gen -json -n 200000 -o app.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of lines")
	out := flag.String("o", "-", "output file, - for stdout")
	seed := flag.Uint64("seed", 20260511, "random seed (same seed, same file)")
	asJSON := flag.Bool("json", false, "write flyctl's logs --json format instead of text")
	flag.Parse()
	writeEntry = writeLine
	if *asJSON {
		writeEntry = writeJSON
	}
	w := io.Writer(os.Stdout)
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen: cannot create output:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := Generate(bw, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen: write failed:", err)
		os.Exit(1)
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gen: write failed:", err)
		os.Exit(1)
	}
}

type machine struct {
	id, region string
	hangs      bool // its last boot wedges in integrity_check
}

var regions = []string{"nrt", "nrt", "sin", "lhr", "ord", "iad", "ams", "syd"}

var paths = []string{"/v1/healthz", "/v1/programs?limit=20", "/v1/laws/search?q=%E7%A8%8E", "/v1/corp/1234567890123", "/v1/stats", "/static/app.js"}

// Generate writes n lines. Boots are spread over the file; two machines hang
// in their final boot, the others complete or skip their boot ops.
func Generate(w *bufio.Writer, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ms := make([]machine, 24)
	for i := range ms {
		ms[i] = machine{id: fmt.Sprintf("%014x", r.Uint64()>>8), region: regions[i%len(regions)], hangs: i == 3 || i == 17}
	}
	t := time.Date(2026, 5, 11, 11, 0, 0, 0, time.UTC)
	// Each machine boots three times: near the start, in the middle and
	// near the end; scripted boot lines are emitted as they come due.
	type scripted struct {
		at   int
		m    int
		prov string
		lvl  string
		msg  string
	}
	var script []scripted
	for i, m := range ms {
		for b, frac := range []float64{0.05, 0.5, 0.9} {
			at := int(float64(n)*frac) + i*97
			add := func(d int, prov, lvl, msg string) {
				script = append(script, scripted{at + d, i, prov, lvl, msg})
			}
			add(0, "runner", "info", "Pulling container image registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0")
			add(3, "app", "info", " INFO Starting init (commit: 350f2667)...")
			add(5, "app", "info", " INFO Preparing to run: `/entrypoint.sh` as root")
			add(7, "app", "info", "[entrypoint] sha256 check: size-based authoritative for /data/autonomath.db (size=9722236928 >= threshold=5000000000)")
			switch {
			case b == 2 && m.hangs:
				add(9, "app", "info", "[entrypoint] running integrity_check on /data/autonomath.db (this may take a while)")
			case b == 2:
				add(9, "app", "info", "[entrypoint] size-based integrity_check skip for /data/autonomath.db (size=9722236928 >= threshold=5000000000)")
			default:
				add(9, "app", "info", "[entrypoint] running integrity_check on /data/autonomath.db")
				add(400, "app", "info", "ok")
				add(402, "app", "info", "[entrypoint] running quick_check on /data/jpintel.db")
				add(450, "app", "info", "ok")
				add(452, "app", "info", "[entrypoint] running ANALYZE on /data/jpintel.db")
				add(470, "app", "info", "[entrypoint] analyze done in 1.2s")
			}
			if !(b == 2 && m.hangs) {
				add(480, "app", "info", "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)")
			}
		}
	}
	sortScript := func() {
		// insertion sort is fine: the script is a few hundred entries.
		for i := 1; i < len(script); i++ {
			for j := i; j > 0 && script[j].at < script[j-1].at; j-- {
				script[j], script[j-1] = script[j-1], script[j]
			}
		}
	}
	sortScript()
	next := 0
	for line := 0; line < n; line++ {
		t = t.Add(time.Duration(2+r.IntN(6)) * time.Millisecond)
		if next < len(script) && script[next].at <= line {
			s := script[next]
			next++
			writeEntry(w, t, s.prov, ms[s.m].id, ms[s.m].region, s.lvl, "", s.msg)
			continue
		}
		m := ms[r.IntN(len(ms))]
		switch k := r.IntN(100); {
		case k < 70:
			p := paths[r.IntN(len(paths))]
			writeEntry(w, t, "app", m.id, m.region, "info", "", fmt.Sprintf("INFO:     172.16.%d.%d:%d - \"GET %s HTTP/1.1\" 200 OK", r.IntN(256), r.IntN(256), 30000+r.IntN(30000), p))
		case k < 85:
			writeEntry(w, t, "proxy", m.id, m.region, "error", "", "[PR04] could not find a good candidate within 40 attempts at load balancing")
		case k < 95:
			writeEntry(w, t, "health", m.id, m.region, "error", "", "Health check 'servicecheck-00-http-8080' on port 8080 has failed. Your app is not responding properly.")
		default:
			writeEntry(w, t, "app", m.id, m.region, "warn", `request.method="GET" response.status=502 `, fmt.Sprintf("upstream timeout after %dms on /v1/programs", 1000+r.IntN(9000)))
		}
	}
	return nil
}

// writeEntry writes one entry: writeLine or writeJSON.
var writeEntry = writeLine

// writeLine renders like flyctl's render.LogEntry: faint timestamp, green
// region, coloured level, no space between ] and the message.
func writeLine(w *bufio.Writer, t time.Time, prov, id, region, level, fields, msg string) {
	colour := "31"
	switch level {
	case "debug":
		colour = "36"
	case "info":
		colour = "34"
	case "warn", "warning":
		colour = "33"
	}
	fmt.Fprintf(w, "\x1b[2m%s\x1b[0m %s[%s] \x1b[32m%s\x1b[0m [\x1b[%sm%s\x1b[0m]%s%s\n",
		t.Format(time.RFC3339), prov, id, region, colour, level, fields, msg)
}

// writeJSON renders like `flyctl logs --json`: each entry pretty-printed
// with four spaces, the text format's extra fields left out.
func writeJSON(w *bufio.Writer, t time.Time, prov, id, region, level, _, msg string) {
	w.Write(bootlogtest.JSONEntry(t, prov, id, region, level, msg))
}
