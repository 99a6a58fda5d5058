package fastscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzSplitJSONSpans holds the parallel splitter of mapped JSON to the
// byte-by-byte definition of SplitJSONValues: for any input and any span
// size, whether the guessed cuts hold or not, the same values and counts;
// and every value whose bytes hold a keyword is marked.
func FuzzSplitJSONSpans(f *testing.F) {
	f.Add("{\n    \"message\": \"a\\\"}\"\n}\n{\"data\":[{\"attributes\":{\"message\":\"b\"}}]}", uint16(3), uint8(0))
	f.Add(`{"a":[1,{"b":"]}"}]} junk {"c":"\\"} [{"d":1},{"e":2}] {"f":`, uint16(1), uint8(0))
	f.Add("{\"m\":\"\n{\"}\n{\"n\":\"integrity_check\"}\nx\n{\ny\n", uint16(2), uint8(0))
	f.Add("x\ny\n{\"a\":1}\nz\n{\"b\":\"ok\"}\nu\nv", uint16(1), uint8(0))
	f.Add("{\"m\":\"LONG\"}\n{\"n\":1}\n{\"o\":\"LONG", uint16(5), uint8(2))
	f.Add("{\n\"a\":\"LONG\"\n}\n{\"n\":1}", uint16(4), uint8(4))
	filter := runbookFilter()
	keys := &prefilter{scan: filter.jsonKeys()}
	f.Fuzz(func(t *testing.T, text string, size uint16, longLen uint8) {
		if longLen > 0 { // runs of MaxLine-2 to MaxLine+2 bytes
			text = strings.ReplaceAll(text, "LONG", strings.Repeat("y", MaxLine-3+int(longLen%5)))
		}
		want, wantSt := splitValuesByteByByte(strings.NewReader(text))
		// With a sink that reads objects itself too: the splitter then skips
		// what it reads.
		// In place, and read into buffers as from a file.
		for _, file := range []io.ReaderAt{nil, strings.NewReader(text)} {
			for _, rec := range []jsonRecorder{&recorder{}, &objectRecorder{}} {
				got, err := scanJSONSpans([]byte(text), file, 0, int(size)+1, filter, rec, nil)
				if err != nil {
					t.Fatal(err)
				}
				r := rec.recorded()
				if !slices.Equal(r.values, want) || got != wantSt {
					t.Fatalf("%T, file %v, spans of %d: got %d values %+v, want %d values %+v\n got %.200q\nwant %.200q", rec, file != nil, size+1, len(r.values), got, len(want), wantSt, r.values, want)
				}
				for k, v := range r.values {
					if lines, _ := keys.lines([]byte(v), nil); len(lines) > 0 && !r.marked[k] {
						t.Fatalf("value %d %.200q holds a keyword and is not marked", k, v)
					}
				}
			}
		}
	})
}

// Spans of every size on a log with garbage, arrays and values across
// lines agree with the definition; a sample of sizes, quickly.
func TestSplitJSONSpansSizes(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&b, "{\n    \"message\": \"running integrity_check %d\",\n    \"meta\": {\"a\": [1, {\"b\": \"}\\\"{\"}]}\n}\n", i)
		case 1:
			fmt.Fprintf(&b, "garbage %d\n  more garbage, {\"x\": 1}\n", i)
		case 2:
			fmt.Fprintf(&b, "[{\"n\":%d},\n{\"n\":\"x\"}]\n", i)
		case 3:
			fmt.Fprintf(&b, "{\"not json\": %d-}\n", i)
		default:
			fmt.Fprintf(&b, "{\"message\":\"GET / %d\",\"timestamp\":\"2026-05-11T11:00:00Z\"}\n", i)
		}
	}
	b.WriteString("{\"open\": \"never closed\n{\"x\":1}\n")
	text := b.String()
	want, wantSt := splitValuesByteByByte(strings.NewReader(text))
	for size := 1; size < len(text); size += 1 + size/8 {
		for _, file := range []io.ReaderAt{nil, strings.NewReader(text)} {
			for _, rec := range []jsonRecorder{&recorder{}, &objectRecorder{}} {
				got, err := scanJSONSpans([]byte(text), file, 0, size, runbookFilter(), rec, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r := rec.recorded(); !slices.Equal(r.values, want) || got != wantSt {
					t.Fatalf("%T, file %v, spans of %d: got %d values %+v, want %d values %+v", rec, file != nil, size, len(r.values), got, len(want), wantSt)
				}
			}
		}
	}
	var rec objectRecorder
	scanJSONSpans([]byte(text), nil, 0, 100, runbookFilter(), &rec, nil)
	if rec.read == 0 || rec.read == len(rec.values) {
		t.Errorf("the sink read %d of %d values itself, want some and not all", rec.read, len(rec.values))
	}
}

type jsonRecorder interface {
	Sink[int]
	recorded() *recorder
}

func (r *recorder) recorded() *recorder { return r }

// objectRecorder is a recorder that reads JSON objects with encoding/json
// (see ObjectReader), and checks the notes it gets back.
type objectRecorder struct {
	recorder
	read int
}

func (r *objectRecorder) ReadObject(b []byte) (int, uint64) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return 0, 0
	}
	n := int(dec.InputOffset())
	return n, uint64(n)
}

func (r *objectRecorder) Feed(c *Chunk, n int) error {
	for k, note := range c.Notes {
		if note != 0 {
			r.read++
			if int(note) != c.Ends[k]-c.Begins[k] {
				return fmt.Errorf("value %q has the note of a read of %d bytes", c.Data[c.Begins[k]:c.Ends[k]], note)
			}
		}
	}
	return r.recorder.Feed(c, n)
}

// A file truncated under the scan is an error, whether the workers read
// their spans from the file or in place in the mapping (a span too long to
// copy).
func TestJSONFileScanTruncated(t *testing.T) {
	data := []byte(strings.Repeat("{\n    \"message\": \"GET / 200\"\n}\n", 200_000))
	for _, inPlace := range []bool{false, true} {
		for _, keep := range []int64{0, int64(len(data) / 2)} {
			f, err := os.OpenFile(writeTemp(t, data), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			mapping, err := mapFile(f, len(data))
			if err != nil {
				f.Close()
				t.Skipf("mapping files is not supported here: %v", err)
			}
			if err := f.Truncate(keep); err != nil {
				t.Fatal(err)
			}
			if inPlace {
				_, err = scanJSONSpans(mapping, nil, 0, jsonSpanSize, runbookFilter(), &recorder{}, release)
			} else {
				_, err = scanJSONFile(f, mapping, 0, runbookFilter(), &recorder{})
			}
			if err == nil || !strings.Contains(err.Error(), "shrank") {
				t.Errorf("in place %v, truncated to %d bytes: err = %v, want a file-shrank error", inPlace, keep, err)
			}
			unmap(mapping)
			f.Close()
		}
	}
	// Spans read short while the mapping still holds them.
	_, err := scanJSONSpans(data, strings.NewReader(string(data[:len(data)/3])), 0, jsonSpanSize, runbookFilter(), &recorder{}, nil)
	if err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("a short read: err = %v, want a file-shrank error", err)
	}
}

// cutJSONAt, reading a window at a time, cuts where cutJSON cuts in memory,
// "\n{" across a window's edge included.
func TestCutJSONAt(t *testing.T) {
	texts := []string{
		"", "{", "\n{", "ab\n{cd\n{", "abc\ndef\n", "no newline at all",
		"{\n  \"a\": 1\n}\n{\n  \"b\": \"\n{\"\n}\n", "x\n\n\n{\n{{\n\n",
	}
	for _, text := range texts {
		for _, win := range []int{2, 3, 4, 7, 64} {
			window := make([]byte, win)
			for at := 0; at <= len(text)+1; at++ {
				for reach := 0; reach <= len(text)+1; reach++ {
					want := cutJSON([]byte(text), at, reach)
					got, err := cutJSONAt(strings.NewReader(text), len(text), at, reach, window)
					if err != nil || got != want {
						t.Fatalf("cutJSONAt(%q, at %d, reach %d, window %d) = %d, %v; cutJSON: %d", text, at, reach, win, got, err, want)
					}
				}
			}
		}
	}
}

// A span too long to copy (a file of few newlines) is split in place in
// the mapping, beside spans read from the file, with the same values.
func TestJSONFileLongSpanInPlace(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "{\n    \"message\": \"GET / %d\"\n}\n", i)
	}
	b.WriteString("{\"long\": \"" + strings.Repeat("x", jsonCopyMax) + "\"}\n")
	b.WriteString(strings.Repeat("y", jsonCopyMax) + "\n{\"after\": 1}\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "{\"n\": %d}\n", i)
	}
	text := b.String()
	f, err := os.Open(writeTemp(t, []byte(text)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapping, err := mapFile(f, len(text))
	if err != nil {
		t.Skipf("mapping files is not supported here: %v", err)
	}
	defer unmap(mapping)
	want, wantSt := splitValuesByteByByte(strings.NewReader(text))
	for _, rec := range []jsonRecorder{&recorder{}, &objectRecorder{}} {
		got, err := scanJSONFile(f, mapping, 0, runbookFilter(), rec)
		if err != nil {
			t.Fatal(err)
		}
		if r := rec.recorded(); !slices.Equal(r.values, want) || got != wantSt {
			t.Fatalf("%T: got %d values %+v, want %d values %+v", rec, len(r.values), got, len(want), wantSt)
		}
	}
}
