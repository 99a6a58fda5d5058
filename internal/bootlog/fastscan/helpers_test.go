package fastscan

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
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

// genLog is the text log every fastscan test reads, the one bootlog's
// tests read too.
var genLog = bootlogtest.GenLog

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
