package fastscan

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/jpops-dev/jpops/runbook"
)

// runbookFilter is the filter of the default runbook's patterns and
// markers, as the boot-log engine builds it.
func runbookFilter() *Filter {
	rb := runbook.Default()
	var patterns []*regexp.Regexp
	for _, op := range rb.BootOps {
		for _, p := range append([]runbook.Pattern{op.Start}, op.Completions...) {
			if p.Regexp != nil {
				patterns = append(patterns, p.Regexp)
			}
		}
	}
	return NewFilter(patterns, rb.BootMarkers, []string{`error.message="`})
}

// runbookPrefilter is runbookFilter's chunk scan, unplanned.
func runbookPrefilter() *prefilter { return &prefilter{scan: runbookFilter().scan} }

// genLog writes n flyctl text lines with colours: request, proxy and health
// noise over 12 machines, each booting twice, with the default runbook's
// integrity_check start and completion lines among them.
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

// recorder is a Sink that keeps what a scan selected: the text lines
// holding a keyword, and the JSON values with whether they were marked.
type recorder struct {
	lines  []string
	values []string
	marked []bool
	chunks int
}

func (r *recorder) Work(c *Chunk) int { return len(c.Starts) }

func (r *recorder) Feed(c *Chunk, n int) error {
	r.chunks++
	if n != len(c.Starts) {
		return fmt.Errorf("Work saw %d selected lines, Feed %d", n, len(c.Starts))
	}
	for _, s := range c.Starts {
		line := c.Data[s:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		r.lines = append(r.lines, string(line))
	}
	for k, end := range c.Ends {
		r.values = append(r.values, string(c.Data[c.Begins[k]:end]))
		r.marked = append(r.marked, c.Marked[k])
	}
	return nil
}
