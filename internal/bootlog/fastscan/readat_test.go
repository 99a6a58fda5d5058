package fastscan

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
)

// spansAndRead scans data's text through a fileSource cutting spans of
// span bytes and reading tail bytes past them, and from a bytes.Reader;
// ok is false when data sniffs as JSON, which is not read this way.
func spansAndRead(t testing.TB, path string, data []byte, span, tail int) (s, r scanned, ok bool) {
	t.Helper()
	rd := bytes.NewReader(data)
	br, isJSON, err := Sniff(rd)
	if err != nil || isJSON {
		return s, r, false
	}
	start := int64(len(data) - rd.Len() - br.Buffered()) // past a byte order mark
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := newFileSource(f, start, int64(len(data)))
	src.span, src.tail = span, tail
	defer src.close()
	var rec recorder
	c, err := scanChunks(src, runbookFilter(), &rec)
	s = scanned{lines: rec.lines, counts: c, err: err}
	rec = recorder{}
	c, err = Scan(bytes.NewReader(data), runbookFilter(), &rec)
	r = scanned{lines: rec.lines, counts: c, err: err}
	return s, r, true
}

// Cut into spans of any size, from one byte up, with or without a read
// past them, a file's text gives the sink what reading it does: the same
// lines, around lines of MaxLine bytes and a missing final newline too.
func TestFileSourceSpans(t *testing.T) {
	cases, err := bootlogtest.EdgeCases("x ok", MaxLine, mapMin)
	if err != nil {
		t.Fatal(err)
	}
	small := []bootlogtest.EdgeCase{
		{Name: "newlines only", Data: []byte("\n\n\n\n")},
		{Name: "keyword lines", Data: []byte("running integrity_check on /d.db\nok\r\n\nx ok\nrunning integrity_check")},
		{Name: "one byte", Data: []byte("k")},
	}
	for _, tt := range append(small, cases...) {
		spans := []int{fileSpan, 100_003, 4096}
		if len(tt.Data) < 64<<10 {
			spans = append(spans, 1, 2, 3, 7, 64)
		}
		path := writeTemp(t, tt.Data)
		for _, span := range spans {
			for _, tail := range []int{0, 5, fileTail} {
				s, r, ok := spansAndRead(t, path, tt.Data, span, tail)
				if !ok {
					t.Fatalf("%s: sniffed as JSON", tt.Name)
				}
				if !reflect.DeepEqual(s, r) {
					t.Errorf("%s, spans of %d, tail %d: %d lines %+v %v; read: %d lines %+v %v",
						tt.Name, span, tail, len(s.lines), s.counts, s.err, len(r.lines), r.counts, r.err)
				}
			}
		}
	}
}

// FuzzFileSourceAgrees holds the spans of a file's text to what reading
// it gives, for any text, span and tail, around lines of MaxLine bytes.
func FuzzFileSourceAgrees(f *testing.F) {
	f.Add("running integrity_check on /d.db\nok\n", uint16(3), uint16(0), uint(0), uint8(0))
	f.Add("2026-05-11T11:00:00Z app[m1] nrt [info]running integrity_check on /d.db\n2026-05-11T11:00:01Z app[m1] nrt [info]ok\n", uint16(40), uint16(7), uint(70), uint8(2))
	f.Add("a\r\nb\n\nok", uint16(1), uint16(1), uint(3), uint8(3))
	f.Fuzz(func(t *testing.T, log string, span, tail uint16, at uint, longLen uint8) {
		if longLen > 0 { // a line of MaxLine-2 to MaxLine+2 bytes
			at %= uint(len(log) + 1)
			log = log[:at] + strings.Repeat("y", MaxLine-3+int(longLen%5)) + "\n" + log[at:]
			span |= 1 << 12 // spans of a few bytes through a MiB are too slow to fuzz
		}
		if log == "" {
			return
		}
		data := []byte(log)
		s, r, ok := spansAndRead(t, writeTemp(t, data), data, 1+int(span), int(tail))
		if ok && !reflect.DeepEqual(s, r) {
			t.Errorf("spans of %d, tail %d: %q %+v %v\nread: %q %+v %v", 1+int(span), tail, s.lines, s.counts, s.err, r.lines, r.counts, r.err)
		}
	})
}

// The buffers' arena holds what was asked for, writable to its end, on a
// huge page boundary (where it is mapped at all).
func TestBufferArena(t *testing.T) {
	for _, n := range []int{1, hugePage, hugePage + 1, 6 * (fileSpan + 1 + fileTail)} {
		arena, unmap := bufferArena(n)
		if arena == nil {
			unmap()
			t.Skip("no anonymous mappings here: buffers come from the heap")
		}
		if len(arena) < n || len(arena)%hugePage != 0 {
			t.Errorf("asked for %d bytes, got %d", n, len(arena))
		}
		if at := uintptr(unsafe.Pointer(&arena[0])); at%hugePage != 0 {
			t.Errorf("arena at %#x, not on a %d-byte boundary", at, hugePage)
		}
		arena[0], arena[len(arena)-1] = 1, 2
		unmap()
	}
}
