package bootlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

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

// scanPaths scans data from off three ways: through a mapping of a file
// (forced below the size threshold), Scan on a file, Scan on a
// bytes.Reader; and with Read and Feed.
func scanPaths(t testing.TB, data []byte, off int64) (mapped, file, reader, slow scanResult, fileMapped bool) {
	t.Helper()
	rb := runbook.Default()
	path := writeTemp(t, data)
	open := func() *os.File {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return f
	}

	f := open()
	e := New(rb)
	st, done, err := e.mapScan(f, len(data), off)
	mapped = resultOf("mapped", e, st, err)
	if !done {
		mapped.description = "not mapped"
	} else if pos, _ := f.Seek(0, io.SeekCurrent); pos != int64(len(data)) {
		t.Errorf("file offset after a mapped scan = %d, want %d (its end)", pos, len(data))
	}
	f.Close()

	f = open()
	e = New(rb)
	st, err = e.Scan(f)
	file = resultOf("Scan(file)", e, st, err)
	f.Close()

	f = open()
	_, fileMapped, _ = New(rb).scanFile(f)
	f.Close()

	e = New(rb)
	st, err = e.Scan(bytes.NewReader(data[off:]))
	reader = resultOf("Scan(bytes.Reader)", e, st, err)

	e = New(rb)
	st, err = Read(bytes.NewReader(data[off:]), func(en Entry) error { e.Feed(en); return nil })
	slow = resultOf("Read+Feed", e, st, err)
	return mapped, file, reader, slow, fileMapped
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

func TestMappedScanAgrees(t *testing.T) {
	var big bytes.Buffer
	genLog(&big, 60_000) // about 9 MiB: many chunks, above the threshold
	if big.Len() < 2*mapMin {
		t.Fatalf("generated log is %d bytes, want more than %d", big.Len(), 2*mapMin)
	}
	var small bytes.Buffer
	genLog(&small, 2_000)
	log := small.String()
	half := len(log) / 2
	half += strings.IndexByte(log[half:], '\n') + 1
	long := func(n int) string { return strings.Repeat("x", n) }
	cut := func(n int) []byte { return big.Bytes()[:n] }

	tests := []struct {
		name       string
		data       []byte
		off        int64
		overlong   int
		wantMapped bool // Scan on the file maps it
	}{
		{name: "empty", data: nil},
		{name: "one line, no final newline", data: []byte("running integrity_check on /d.db")},
		{name: "no final newline", data: []byte(log + L(1, m1, "ok"))},
		{name: "2 MiB line in the middle", data: []byte(log[:half] + long(2<<20) + "\n" + log[half:]), overlong: 1},
		{name: "2 MiB line at the end", data: []byte(log + long(2<<20) + "\n"), overlong: 1},
		{name: "2 MiB last line without newline", data: []byte(log + long(2<<20)), overlong: 1},
		{name: "line of MaxLine-1 bytes", data: []byte(log[:half] + long(MaxLine-1) + "\n" + log[half:])},
		{name: "line of MaxLine bytes", data: []byte(log[:half] + long(MaxLine) + "\n" + log[half:]), overlong: 1},
		{name: "line of MaxLine+1 bytes", data: []byte(log[:half] + long(MaxLine+1) + "\n" + log[half:]), overlong: 1},
		{name: "last line of MaxLine-1 bytes without newline", data: []byte(log + long(MaxLine-1))},
		{name: "last line of MaxLine bytes without newline", data: []byte(log + long(MaxLine)), overlong: 1},
		{name: "CRLF", data: []byte(strings.ReplaceAll(log, "\n", "\r\n"))},
		{name: "byte order mark", data: []byte("\xef\xbb\xbf" + log)},
		{name: "many chunks", data: big.Bytes(), wantMapped: true},
		{name: "many chunks, read from the middle", data: big.Bytes(), off: int64(big.Len() / 3), wantMapped: true},
		{name: "2 MiB line between many chunks", data: append(append(bytes.Clone(big.Bytes()), long(2<<20)+"\n"...), log...), overlong: 1, wantMapped: true},
		{name: "just below the threshold", data: cut(mapMin - 1)},
		{name: "at the threshold", data: cut(mapMin), wantMapped: true},
		{name: "just above the threshold", data: cut(mapMin + 1), wantMapped: true},
		{name: "JSON", data: []byte(`{"timestamp":"2026-05-11T11:00:00Z","message":"running integrity_check on /d.db","instance":"m1"}` + "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mapped, file, reader, slow, fileMapped := scanPaths(t, tt.data, tt.off)
			if mapped.description == "mapped" {
				agree(t, mapped, reader, true)
			} else if len(tt.data) > 0 && tt.name != "JSON" {
				t.Skip("mapping files is not supported here")
			}
			agree(t, file, reader, true)
			agree(t, reader, slow, false)
			if reader.st.Overlong != tt.overlong {
				t.Errorf("Overlong = %d, want %d", reader.st.Overlong, tt.overlong)
			}
			if mapped.description == "mapped" && fileMapped != tt.wantMapped {
				t.Errorf("Scan(file) mapped the file: %v, want %v", fileMapped, tt.wantMapped)
			}
		})
	}
}

// A file truncated while mapped faults on reading past its new end: the
// scan must return an error, not crash.
func TestMappedScanTruncated(t *testing.T) {
	var buf bytes.Buffer
	genLog(&buf, 60_000)
	for _, keep := range []int64{0, int64(buf.Len() / 2)} {
		path := writeTemp(t, buf.Bytes())
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		data, err := mapFile(f, buf.Len())
		if err != nil {
			f.Close()
			t.Skipf("mapping files is not supported here: %v", err)
		}
		if err := f.Truncate(keep); err != nil {
			t.Fatal(err)
		}
		var mapSt Stats
		_, err = New(runbook.Default()).scanChunks(&mapSource{data: data, st: &mapSt}, true)
		if err == nil || !strings.Contains(err.Error(), "shrank") {
			t.Errorf("truncated to %d bytes: err = %v, want a file-shrank error", keep, err)
		}
		unmap(data)
		f.Close()
	}
}

// A fault inside the vector kernel, on a mapping whose file was truncated
// under it, must become the same error as anywhere else: the runtime can
// turn a fault in assembly into a panic only if the kernel keeps to Go's
// conventions (a frame it knows, no fault in a non-Go stack).
func TestMappedFaultInPackedKernel(t *testing.T) {
	if packedKernel == nil {
		t.Skip("this CPU has no AVX2: no kernel to fault in")
	}
	var buf bytes.Buffer
	genLog(&buf, 60_000)
	path := writeTemp(t, buf.Bytes())
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := mapFile(f, buf.Len())
	if err != nil {
		t.Skipf("mapping files is not supported here: %v", err)
	}
	defer unmap(data)
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	pf := packedPlan(t, buf.Bytes(), packedKernel)
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer catchFault(&err)
		pf.lines(data, nil)
	}()
	if err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("err = %v, want a file-shrank error", err)
	}
}

// Scan of the mapping agrees with Scan of the same bytes from a reader,
// around lines of MaxLine bytes too.
func FuzzMappedScanAgrees(f *testing.F) {
	f.Add("running integrity_check on /d.db\n", uint(0), uint8(0))
	f.Add(L(1, m1, "running integrity_check on /d.db")+L(2, m1, "ok"), uint(5), uint8(2))
	f.Add("a\r\nb\n\nok", uint(3), uint8(3))
	f.Fuzz(func(t *testing.T, log string, at uint, longLen uint8) {
		if longLen > 0 { // a line of MaxLine-2 to MaxLine+2 bytes
			at %= uint(len(log) + 1)
			log = log[:at] + strings.Repeat("y", MaxLine-3+int(longLen%5)) + "\n" + log[at:]
		}
		if log == "" {
			return
		}
		path := writeTemp(t, []byte(log))
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		rb := runbook.Default()
		e := New(rb)
		st, done, err := e.mapScan(file, len(log), 0)
		if !done {
			return // JSON, read as before; or no mapping on this system
		}
		mapped := resultOf("mapped", e, st, err)
		e = New(rb)
		st, err = e.Scan(strings.NewReader(log))
		reader := resultOf("Scan(strings.Reader)", e, st, err)
		agree(t, mapped, reader, true)
	})
}
