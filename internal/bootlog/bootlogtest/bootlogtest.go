// Package bootlogtest generates flyctl logs for the boot-log scan's tests,
// benchmarks and bench programs, so they all read the same bytes. It imports
// nothing of jpops: bootlog and fastscan tests both use it.
package bootlogtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// GenLog writes n flyctl text lines with colours: request, proxy and health
// noise over 12 machines, each booting twice; machine 3 hangs in its second
// boot's integrity_check, the others complete it.
func GenLog(w io.Writer, n int) {
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

// flyctlEntry is flyctl's logs.LogEntry, in its key order.
type flyctlEntry struct {
	Level     string `json:"level"`
	Instance  string `json:"instance"`
	Message   string `json:"message"`
	Region    string `json:"region"`
	Timestamp string `json:"timestamp"`
	Meta      struct {
		Instance string
		Region   string
		Event    struct{ Provider string }
		HTTP     struct {
			Request struct {
				ID      string
				Method  string
				Version string
			}
			Response struct {
				StatusCode int `json:"status_code"`
			}
		}
		Error struct {
			Code    int
			Message string
		}
		URL struct{ Full string }
	} `json:"meta"`
}

// JSONEntry renders one entry as `flyctl logs --json` does: pretty-printed
// with four spaces, followed by a newline.
func JSONEntry(t time.Time, provider, machine, region, level, msg string) []byte {
	var e flyctlEntry
	e.Level, e.Instance, e.Message, e.Region = level, machine, msg, region
	e.Timestamp = t.Format(time.RFC3339Nano)
	e.Meta.Instance, e.Meta.Region, e.Meta.Event.Provider = machine, region, provider
	b, err := json.MarshalIndent(&e, "", "    ")
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	return append(b, '\n')
}
