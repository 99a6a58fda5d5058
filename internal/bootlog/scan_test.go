package bootlog

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jpops-dev/jpops/runbook"
)

// smallReads hands out at most n bytes a call, like a pipe.
type smallReads struct {
	r io.Reader
	n int
}

func (s smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

// The parallel scan spans many buffers, recycles them and keeps the
// overlong-line rule: it must find what Read with Feed finds.
func TestScanManyChunksAgreesWithFeed(t *testing.T) {
	var buf bytes.Buffer
	genLog(&buf, 12_000)
	half := buf.Len() / 2
	half += bytes.IndexByte(buf.Bytes()[half:], '\n') + 1
	log := string(buf.Bytes()[:half]) + strings.Repeat("x", MaxLine+10) + "\n" + string(buf.Bytes()[half:]) + "ok"
	tests := []struct {
		name string
		r    func() io.Reader
	}{
		{"whole", func() io.Reader { return strings.NewReader(log) }},
		{"pipe-sized reads", func() io.Reader { return smallReads{strings.NewReader(log), 64 << 10} }},
		{"odd reads", func() io.Reader { return smallReads{strings.NewReader(log), 7777} }},
	}
	rb := runbook.Default()
	slow := New(rb)
	want, err := Read(strings.NewReader(log), func(e Entry) error { slow.Feed(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast := New(rb)
			got, err := fast.Scan(tt.r())
			if err != nil {
				t.Fatal(err)
			}
			if got.Lines != want.Lines || got.Overlong != want.Overlong || got.Overlong != 1 {
				t.Errorf("stats: Scan %+v, Read %+v", got, want)
			}
			if a, b := slow.Findings(now), fast.Findings(now); !reflect.DeepEqual(a, b) || len(a) == 0 {
				t.Errorf("Scan and Read+Feed disagree:\nScan: %+v\nRead: %+v", b, a)
			}
			if a, b := slow.Findings(time.Time{}), fast.Findings(time.Time{}); !reflect.DeepEqual(a, b) {
				t.Errorf("end-of-log findings differ:\nScan: %+v\nRead: %+v", b, a)
			}
		})
	}
}

func TestScanReaderError(t *testing.T) {
	e := New(runbook.Default())
	r := io.MultiReader(strings.NewReader("running integrity_check on /d.db\n"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := e.Scan(r); err == nil || !strings.Contains(err.Error(), "reading log") {
		t.Fatalf("err = %v, want a reading-log error", err)
	}
}
