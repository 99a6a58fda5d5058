package flyctl

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// split feeds data in chunks of the given size and returns the lines.
func split(data string, chunk int) []string {
	var out []string
	s := newSplitter(func(b []byte, truncated bool) {
		l := string(b)
		if truncated {
			l += "<cut>"
		}
		out = append(out, l)
	})
	for len(data) > 0 {
		n := min(chunk, len(data))
		s.write([]byte(data[:n]))
		data = data[n:]
	}
	s.flush()
	return out
}

func TestSplitter(t *testing.T) {
	long := strings.Repeat("a", MaxLine)
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"cr progress", "1/3\r2/3\r3/3\r\ndone\n", []string{"1/3", "2/3", "3/3", "done"}},
		{"crlf is one break", "a\r\nb\r\n", []string{"a", "b"}},
		{"blank lines kept here", "a\n\nb", []string{"a", "", "b"}},
		{"unterminated", "tail", []string{"tail"}},
		{"exactly max", long + "\nx\n", []string{long, "x"}},
		{"over max cut once", long + "bbbb\nx\n", []string{long + "<cut>", "x"}},
		{"over max at end", long + "b", []string{long + "<cut>"}},
		{"cr after cut", long + "b\r\nx", []string{long + "<cut>", "x"}},
	} {
		for _, chunk := range []int{1, 3, 4096, 1 << 20} {
			got := split(tt.in, chunk)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("%s, chunks of %d: got %q, want %q", tt.name, chunk, got, tt.want)
			}
		}
	}
}

func TestCutLong(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"push done FlyV1 fm2_abcdef", "push done FlyV1", true},
		{`{"token":"fo1_abc`, `{"token":`, true},
		{"fo1_abcdefgh", "", false},
	} {
		got, ok := cutLong([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("cutLong(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSanitize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"trailing   \t", "trailing"},
		{"\x1b[1;32m✔\x1b[0m ok", "✔ ok"},
		{"\x1b]0;title\x07visible", "visible"},
		{"\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"bell\x07 and nul\x00", "bell and nul"},
		{"tab\tkept", "tab\tkept"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"c1 \u009b31m csi", "c1 31m csi"},
		{"dangling \x1b[", "dangling"},
		{"é ünïcode ✓", "é ünïcode ✓"},
	} {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSplit: however output is chunked, the same bounded, clean lines come out.
func FuzzSplit(f *testing.F) {
	f.Add("#5 step 1\r#5 step 2\r\ndone\n", 3)
	f.Add(strings.Repeat("x", MaxLine+10)+"\r\ny", 7)
	f.Add("\x1b[31mred\x1b[0m\n\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, data string, chunk int) {
		if chunk <= 0 || chunk > len(data)+1 {
			chunk = len(data) + 1
		}
		whole, parts := split(data, len(data)+1), split(data, chunk)
		if strings.Join(whole, "\x00") != strings.Join(parts, "\x00") {
			t.Fatalf("chunking changed lines: %q vs %q", whole, parts)
		}
		for _, l := range parts {
			if strings.ContainsAny(l, "\r\n") || len(l) > MaxLine+len("<cut>") {
				t.Fatalf("bad line %q", l)
			}
			s := sanitize(l)
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r == 0x1b }) {
				t.Fatalf("sanitize(%q) = %q: control left", l, s)
			}
		}
	})
}
