package fastscan

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// splitValuesByteByByte is SplitJSONValues' definition: the plain
// byte-at-a-time bracket and string tracking it was first written as,
// without the skips that make it fast. It returns the whole values.
func splitValuesByteByByte(r io.Reader) ([]string, Counts) {
	var st Counts
	c := NewChunker(r, &st)
	var (
		values                         []string
		obj                            []byte
		depth                          int
		inStr, esc, discard, inGarbage bool
	)
	for {
		overlong := st.Overlong
		chunk, ok := c.Next()
		if st.Overlong != overlong && depth > 0 {
			depth, obj, discard = 0, obj[:0], false
		}
		if !ok {
			break
		}
		st.Lines += bytes.Count(chunk, []byte{'\n'})
		if chunk[len(chunk)-1] != '\n' {
			st.Lines++
		}
		from := 0
		for i := 0; i < len(chunk); i++ {
			b := chunk[i]
			if depth == 0 {
				switch b {
				case ' ', '\t', '\r', '\n', ',', '[', ']':
					continue
				case '{':
					depth, inStr, esc, inGarbage, from = 1, false, false, false, i
				default:
					if !inGarbage {
						st.Malformed++
						inGarbage = true
					}
				}
				continue
			}
			if inStr {
				switch {
				case esc:
					esc = false
				case b == '\\':
					esc = true
				case b == '"':
					inStr = false
				}
				continue
			}
			switch b {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					if discard || len(obj)+i+1-from > MaxLine {
						st.Overlong++
					} else {
						values = append(values, string(append(obj, chunk[from:i+1]...)))
					}
					obj, discard = obj[:0], false
				}
			}
		}
		if depth > 0 && !discard {
			obj = append(obj, chunk[from:]...)
			if len(obj) > MaxLine {
				discard, obj = true, obj[:0]
			}
		}
	}
	if depth > 0 {
		st.Malformed++
	}
	return values, st
}

// chunkedReader hands out at most n bytes a read, so values and strings
// straddle the chunker's reads.
type chunkedReader struct {
	r io.Reader
	n int
}

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// FuzzSplitJSONValues holds the splitter shared by readJSON and the JSON
// fast path to its byte-by-byte definition: the same values, the same
// counts, however the input is read.
func FuzzSplitJSONValues(f *testing.F) {
	f.Add("{\n    \"message\": \"a\\\"}\"\n}\n{\"data\":[{\"attributes\":{\"message\":\"b\"}}]}", uint16(0), uint8(0))
	f.Add(`{"a":[1,{"b":"]}"}]} junk {"c":"\\"} [{"d":1},{"e":2}] {"f":`, uint16(7), uint8(0))
	f.Add("{\"m\":\"LONG\"}\n{\"n\":1}", uint16(3), uint8(2))
	f.Fuzz(func(t *testing.T, text string, readSize uint16, longLen uint8) {
		if longLen > 0 { // runs of MaxLine-2 to MaxLine+2 bytes
			text = strings.ReplaceAll(text, "LONG", strings.Repeat("y", MaxLine-3+int(longLen%5)))
		}
		n := int(readSize)
		if n == 0 {
			n = 1 << 20
		}
		want, wantSt := splitValuesByteByByte(chunkedReader{strings.NewReader(text), n})
		var got []string
		var gotSt Counts
		var buf []byte
		err := SplitJSONValues(NewChunker(chunkedReader{strings.NewReader(text), n}, &gotSt), &gotSt, &buf, func() error {
			got = append(got, string(buf))
			buf = buf[:0]
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || gotSt != wantSt {
			t.Fatalf("split %q (reads of %d):\n got %q %+v\nwant %q %+v", text, n, got, gotSt, want, wantSt)
		}
		// Nor do the values depend on how the input was read.
		whole, wholeSt := splitValuesByteByByte(strings.NewReader(text))
		if !slices.Equal(got, whole) || gotSt != wholeSt {
			t.Fatalf("split %q: reads of %d give %d values %+v, one read %d values %+v", text, n, len(got), gotSt, len(whole), wholeSt)
		}
	})
}

// chunks reads all of text through a chunker with reads of at most n bytes.
func chunks(text string, n, fill int) ([]string, Counts) {
	var st Counts
	c := NewChunker(chunkedReader{strings.NewReader(text), n}, &st)
	c.fill = fill
	var out []string
	for {
		chunk, ok := c.Next()
		if !ok {
			return out, st
		}
		out = append(out, string(chunk))
	}
}

// FuzzChunkerReads: whatever the read sizes, the chunker hands out whole
// lines, all of the input but overlong lines, and the same lines and
// counts as with one large read.
func FuzzChunkerReads(f *testing.F) {
	f.Add("a\nbb\n\nccc", uint16(1), uint8(0), false)
	f.Add("x LONG y\nshort\nLONG\nend", uint16(100), uint8(3), true)
	f.Fuzz(func(t *testing.T, text string, readSize uint16, longLen uint8, fill bool) {
		long := longLen > 0
		if long { // lines of MaxLine-2 to MaxLine+2 bytes
			text = strings.ReplaceAll(text, "LONG", strings.Repeat("y", MaxLine-3+int(longLen%5)))
			readSize = max(readSize, 512) // byte-sized reads of a MiB line are only slow
		}
		n := max(int(readSize), 1)
		fillBytes := 0
		if fill {
			fillBytes = 4096
		}
		got, gotSt := chunks(text, n, fillBytes)
		whole, wholeSt := chunks(text, 1<<30, 0)
		joined := strings.Join(got, "")
		if joined != strings.Join(whole, "") || gotSt != wholeSt {
			t.Fatalf("reads of %d (fill %d) give %d bytes %+v; one read gives %d bytes %+v", n, fillBytes, len(joined), gotSt, len(strings.Join(whole, "")), wholeSt)
		}
		for i, c := range got {
			if i < len(got)-1 && !strings.HasSuffix(c, "\n") {
				t.Fatalf("chunk %d of %d does not end a line: %q", i, len(got), c)
			}
		}
		if !long && joined != text {
			t.Fatalf("no overlong line, yet the chunks are not the input: %q vs %q", joined, text)
		}
	})
}

// BenchmarkChunkerLongLineSmallReads: a line of 900 KB arriving 4 KiB a
// read, as from a slow pipe; the baseline is the same line in one read.
func BenchmarkChunkerLongLineSmallReads(b *testing.B) {
	text := strings.Repeat("y", 900<<10) + "\n"
	for _, n := range []int{4 << 10, 1 << 30} {
		b.Run(fmt.Sprintf("reads of %d", min(n, len(text))), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if got, _ := chunks(text, n, 0); len(got) != 1 {
					b.Fatalf("%d chunks", len(got))
				}
			}
		})
	}
}
