package fastscan

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
)

func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// scanned is what a scan handed its sink, and its counts.
type scanned struct {
	lines, values []string
	marked        []bool
	counts        Counts
	err           error
}

// mappedAndRead scans data from off through the path of a large file
// (forced whatever its size: text read at offsets by the workers, JSON
// mapped; mapped is false where JSON files cannot be mapped) and from a
// bytes.Reader.
func mappedAndRead(t testing.TB, data []byte, off int64) (m, r scanned, mapped bool) {
	t.Helper()
	f, err := os.Open(writeTemp(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	c, mapped, err := fileScan(f, len(data), off, runbookFilter(), &rec)
	m = scanned{rec.lines, rec.values, rec.marked, c, err}
	if pos, _ := f.Seek(0, io.SeekCurrent); mapped && pos != int64(len(data)) {
		t.Errorf("file offset after a mapped scan = %d, want %d (its end)", pos, len(data))
	}
	rec = recorder{}
	c, err = Scan(bytes.NewReader(data[off:]), runbookFilter(), &rec)
	r = scanned{rec.lines, rec.values, rec.marked, c, err}
	// Marks depend on the lines around a value, which a mapping keeps and
	// a batch of copied values does not: both must mark every value holding
	// a keyword, and may mark more.
	keys := &prefilter{scan: runbookFilter().jsonKeys()}
	for _, s := range []*scanned{&m, &r} {
		for k, v := range s.values {
			if lines, _ := keys.lines([]byte(v), nil); len(lines) > 0 && !s.marked[k] {
				t.Errorf("value %.100q holds a keyword and is not marked", v)
			}
		}
		s.marked = nil
	}
	return m, r, mapped
}

func TestMappedScanAgrees(t *testing.T) {
	tests, err := bootlogtest.EdgeCases("x ok", MaxLine, mapMin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			m, r, mapped := mappedAndRead(t, tt.Data, tt.Off)
			if !mapped {
				t.Skip("mapping files is not supported here")
			}
			if !reflect.DeepEqual(m, r) {
				t.Errorf("mapped scan: %d lines %+v %v\nread scan: %d lines %+v %v", len(m.lines), m.counts, m.err, len(r.lines), r.counts, r.err)
			}
			if len(r.lines) == 0 || r.counts.Overlong != tt.Overlong {
				t.Errorf("%d lines selected, %d overlong; want some, %d overlong", len(r.lines), r.counts.Overlong, tt.Overlong)
			}
			f, err := os.Open(writeTemp(t, tt.Data))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.Seek(tt.Off, io.SeekStart)
			if _, fileMapped, _ := scanFile(f, runbookFilter(), &recorder{}); fileMapped != tt.Mapped {
				t.Errorf("Scan(file) mapped the file: %v, want %v", fileMapped, tt.Mapped)
			}
		})
	}
}

// JSON through a mapping: the same values and counts as read, also
// around values and lines of MaxLine bytes.
func TestMappedScanJSON(t *testing.T) {
	var big strings.Builder
	for i := 0; big.Len() < 5<<20; i++ { // many chunks, above the threshold
		msg := "GET /v1/programs 200"
		if i%1000 == 7 {
			msg = "running integrity_check on /data/a.db"
		}
		fmt.Fprintf(&big, "{\n    \"message\": %q,\n    \"timestamp\": \"2026-05-11T11:00:%02dZ\"\n}\n", msg, i%60)
	}
	head := big.String()[:strings.LastIndex(big.String()[:1<<20], "}\n")+2] // whole values
	// value is a value of n bytes in short lines.
	value := func(n int) string {
		body := strings.Repeat("\"a\": \"yyyyyyyyyy\",\n", n/20)
		return "{" + body + strings.Repeat(" ", n-2-len(body)) + "}"
	}
	tests := []struct {
		name     string
		data     string
		overlong int
	}{
		{"pretty-printed, many chunks", big.String(), 0},
		{"one object", `{"message":"running integrity_check on /d.db"}` + "\n", 0},
		{"value of MaxLine bytes", head + value(MaxLine) + "\n" + big.String()[:1000], 0},
		{"value of MaxLine+1 bytes", head + value(MaxLine+1) + "\n" + big.String()[:1000], 1},
		{"value over MaxLine at the end", head + value(MaxLine+100), 1},
		{"line over MaxLine inside a value", "{\"message\": \"" + strings.Repeat("z", MaxLine+5) + "\"}\n" + big.String()[:5000], 1},
		{"garbage and a truncated value", "{\"message\":\"ok\"} x y [{\"message\":\"ok\"}] nonsense {\"message\": \"running", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, r, mapped := mappedAndRead(t, []byte(tt.data), 0)
			if !mapped {
				t.Skip("mapping files is not supported here")
			}
			if !reflect.DeepEqual(m, r) {
				t.Errorf("mapped scan: %d values %+v %v\nread scan: %d values %+v %v", len(m.values), m.counts, m.err, len(r.values), r.counts, r.err)
			}
			if len(r.values) == 0 || r.counts.Overlong != tt.overlong {
				t.Errorf("%d values, %d overlong; want some, %d overlong", len(r.values), r.counts.Overlong, tt.overlong)
			}
		})
	}
}

// A file truncated while its text is read must make the scan return an
// error, not end it quietly short.
func TestFileScanTruncated(t *testing.T) {
	var buf bytes.Buffer
	genLog(&buf, 60_000)
	for _, keep := range []int64{0, int64(buf.Len() / 2)} {
		f, err := os.OpenFile(writeTemp(t, buf.Bytes()), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		src := newFileSource(f, 0, int64(buf.Len()))
		if err := f.Truncate(keep); err != nil {
			t.Fatal(err)
		}
		_, err = scanChunks(src, runbookFilter(), &recorder{})
		src.close()
		if err == nil || !strings.Contains(err.Error(), "shrank") {
			t.Errorf("truncated to %d bytes: err = %v, want a file-shrank error", keep, err)
		}
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

// The scan of a mapping hands its sink what the scan of the same bytes
// from a reader does, around lines of MaxLine bytes too.
func FuzzMappedScanAgrees(f *testing.F) {
	f.Add("running integrity_check on /d.db\n", uint(0), uint8(0))
	f.Add("2026-05-11T11:00:00Z app[m1] nrt [info]running integrity_check on /d.db\n2026-05-11T11:00:01Z app[m1] nrt [info]ok\n", uint(5), uint8(2))
	f.Add("a\r\nb\n\nok", uint(3), uint8(3))
	f.Fuzz(func(t *testing.T, log string, at uint, longLen uint8) {
		if longLen > 0 { // a line of MaxLine-2 to MaxLine+2 bytes
			at %= uint(len(log) + 1)
			log = log[:at] + strings.Repeat("y", MaxLine-3+int(longLen%5)) + "\n" + log[at:]
		}
		if log == "" {
			return
		}
		m, r, mapped := mappedAndRead(t, []byte(log), 0)
		if !mapped {
			return // no mapping on this system
		}
		if !reflect.DeepEqual(m, r) {
			t.Errorf("mapped scan: %q %+v %v\nread scan: %q %+v %v", m.lines, m.counts, m.err, r.lines, r.counts, r.err)
		}
	})
}
