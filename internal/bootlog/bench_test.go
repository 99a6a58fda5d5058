package bootlog

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/runbook"
)

// genLog writes n flyctl text lines with colours: request, proxy and health
// noise over 12 machines, each booting twice; machine 3 hangs in its second
// boot's integrity_check, the others complete it.
func genLog(w io.Writer, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	t := time.Date(2026, 5, 11, 11, 0, 0, 0, time.UTC)
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = fmt.Sprintf("%014x", r.Uint64()>>8)
	}
	line := func(id, prov, lvl, msg string) {
		fmt.Fprintf(w, "\x1b[2m%s\x1b[0m %s[%s] \x1b[32mnrt\x1b[0m [\x1b[34m%s\x1b[0m]%s\n", t.Format(time.RFC3339), prov, id, lvl, msg)
	}
	for i := 0; i < n; i++ {
		t = t.Add(4 * time.Millisecond)
		m := i % len(ids)
		// Twice in the log every machine boots and starts integrity_check;
		// the "ok" follows except for machine 3's second boot.
		k := i % (n/2 + 1)
		switch {
		case k < 10*len(ids) && k%10 == 0:
			line(ids[k/10], "app", "info", " INFO Starting init (commit: 350f2667)...")
		case k < 10*len(ids) && k%10 == 1:
			line(ids[k/10], "app", "info", "running integrity_check on /data/autonomath.db")
		case k >= 200 && k < 200+10*len(ids) && k%10 == 0 && !((k-200)/10 == 3 && i > n/2):
			line(ids[(k-200)/10], "app", "info", "ok")
		case i%3 == 0:
			line(ids[m], "proxy", "error", "[PR04] could not find a good candidate within 40 attempts at load balancing")
		default:
			line(ids[m], "app", "info", fmt.Sprintf(`INFO:     172.16.0.%d:4431 - "GET /v1/programs?limit=20 HTTP/1.1" 200 OK`, r.IntN(256)))
		}
	}
}

func benchLog(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	genLog(&buf, n)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	return buf.Bytes()
}

// BenchmarkRead parses every line into an Entry.
func BenchmarkRead(b *testing.B) {
	data := benchLog(b, 100_000)
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), func(Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngine is `jpops scan`'s path: prefilter, parse candidates, match.
func BenchmarkEngine(b *testing.B) {
	data := benchLog(b, 100_000)
	rb := runbook.Default()
	for b.Loop() {
		e := New(rb)
		if _, err := e.Scan(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFeed is Read with Feed on every entry (the slow, general path).
func BenchmarkReadFeed(b *testing.B) {
	data := benchLog(b, 100_000)
	rb := runbook.Default()
	for b.Loop() {
		e := New(rb)
		if _, err := Read(bytes.NewReader(data), func(en Entry) error { e.Feed(en); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScanFile times Scan over a real file named by BOOTLOG_SCAN_FILE
// (for example one written by bench/scan/gen); skipped without it.
func TestScanFile(t *testing.T) {
	path := os.Getenv("BOOTLOG_SCAN_FILE")
	if path == "" {
		t.Skip("set BOOTLOG_SCAN_FILE to a log file to time Scan on it")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := New(runbook.Default())
	start := time.Now()
	st, err := e.Scan(f)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	fs := e.Findings(time.Time{})
	t.Logf("%+v in %v; %d findings, verdict %s", st, el, len(fs), Verdict(fs))
	for _, f := range fs {
		if f.Status != Completed {
			t.Logf("%+v", f)
		}
	}
}

// BenchmarkScanFile is Scan on a file in the page cache: mapped, as Scan
// does for a large regular file, and read, as for any other reader.
func BenchmarkScanFile(b *testing.B) {
	var buf bytes.Buffer
	genLog(&buf, 200_000)
	path := b.TempDir() + "/app.log"
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	rb := runbook.Default()
	for _, mapped := range []bool{true, false} {
		name := map[bool]string{true: "mapped", false: "read"}[mapped]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = f
				if !mapped {
					r = struct{ io.Reader }{f} // not an *os.File: read
				}
				if _, err := New(rb).Scan(r); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
