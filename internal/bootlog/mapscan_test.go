package bootlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
	"github.com/jpops-dev/jpops/runbook"
)

// scanResult is what a scan leaves: its stats and the engine's findings.
type scanResult struct {
	st          Stats
	now, atEnd  []Finding
	err         error
	description string
}

func resultOf(desc string, e *Engine, st Stats, err error) scanResult {
	now := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	return scanResult{st: st, now: e.Findings(now), atEnd: e.Findings(time.Time{}), err: err, description: desc}
}

func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// scanPaths scans data from off: Scan on a file (mapped when it is large),
// Scan on a bytes.Reader, and Read with Feed.
func scanPaths(t testing.TB, data []byte, off int64) (file, reader, slow scanResult) {
	t.Helper()
	rb := runbook.Default()
	path := writeTemp(t, data)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	e := New(rb)
	st, err := e.Scan(f)
	file = resultOf("Scan(file)", e, st, err)
	if pos, _ := f.Seek(0, io.SeekCurrent); err == nil && pos != int64(len(data)) {
		t.Errorf("file offset after Scan = %d, want %d (its end)", pos, len(data))
	}

	e = New(rb)
	st, err = e.Scan(bytes.NewReader(data[off:]))
	reader = resultOf("Scan(bytes.Reader)", e, st, err)

	e = New(rb)
	st, err = Read(bytes.NewReader(data[off:]), func(en Entry) error { e.Feed(en); return nil })
	slow = resultOf("Read+Feed", e, st, err)
	return file, reader, slow
}

// agree reports how got differs from want: all stats and findings when
// both are scans, only Lines, Overlong and findings against Read+Feed
// (which parses every line, not just the selected ones).
func agree(t testing.TB, got, want scanResult, allStats bool) {
	t.Helper()
	if got.err != nil || want.err != nil {
		t.Errorf("errors: %s %v, %s %v", got.description, got.err, want.description, want.err)
	}
	g, w := got.st, want.st
	if !allStats {
		g, w = Stats{Lines: g.Lines, Overlong: g.Overlong}, Stats{Lines: w.Lines, Overlong: w.Overlong}
	}
	if g != w {
		t.Errorf("stats: %s %+v, %s %+v", got.description, got.st, want.description, want.st)
	}
	if !reflect.DeepEqual(got.now, want.now) || !reflect.DeepEqual(got.atEnd, want.atEnd) {
		t.Errorf("findings differ:\n%s: %+v\n%s: %+v", got.description, got.now, want.description, want.now)
	}
}

// Scan on a file, mapped when it is large, on a reader and Read with Feed
// agree, around lines of MaxLine bytes, at the mapping threshold and read
// from the middle of the file.
func TestMappedScanAgrees(t *testing.T) {
	const mapMin = 4 << 20 // files from this size on are mapped
	text, err := bootlogtest.EdgeCases(L(1, m1, "ok"), MaxLine, mapMin)
	if err != nil {
		t.Fatal(err)
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	var js bytes.Buffer
	genJSONLog(&js, 10_000) // pretty-printed, many spans
	bigJSON := js.Bytes()
	if len(bigJSON) < 3*mapMin/2 {
		t.Fatalf("generated JSON log is %d bytes, want more than %d", len(bigJSON), 3*mapMin/2)
	}
	var bad bytes.Buffer // values of two lines, not one
	for i, line := range strings.Split(strings.ReplaceAll(js.String(), "\n    ", ""), "\n") {
		bad.WriteString(line + "\n")
		switch {
		case i%500 == 7:
			bad.WriteString("garbage\n")
		case i%500 == 8:
			bad.WriteString(`{"message": "x", "timestamp": 5}` + "\n")
		case i%5000 == 9:
			bad.WriteString(`{"message": "` + long(900<<10) + `"}` + "\n")
		}
	}
	bad.WriteString(`{"message": "running integrity_check on /d.db"`)
	badJSON := bad.Bytes()

	// The text cases are fastscan's too; the JSON ones are this layer's.
	tests := append([]bootlogtest.EdgeCase{{Name: "empty"}}, text...)
	tests = append(tests, []bootlogtest.EdgeCase{
		{Name: "JSON", Data: []byte(`{"timestamp":"2026-05-11T11:00:00Z","message":"running integrity_check on /d.db","instance":"m1"}` + "\n")},
		{Name: "JSON, many spans", Data: bigJSON},
		{Name: "JSON, many spans, read from the middle", Data: bigJSON, Off: int64(len(bigJSON)/4 + bytes.Index(bigJSON[len(bigJSON)/4:], []byte("\n{")) + 1)},
		{Name: "JSON with garbage, bad and long values and a truncated value", Data: badJSON},
	}...)
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			file, reader, slow := scanPaths(t, tt.Data, tt.Off)
			agree(t, file, reader, true)
			agree(t, reader, slow, false)
			if reader.st.Overlong != tt.Overlong {
				t.Errorf("Overlong = %d, want %d", reader.st.Overlong, tt.Overlong)
			}
		})
	}
}
