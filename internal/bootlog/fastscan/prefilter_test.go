package fastscan

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestTailLiteral(t *testing.T) {
	tests := []struct {
		expr  string
		want  Literal
		after string // bytes of the set, in order
		ok    bool
	}{
		{`^\s*ok\s*$`, Literal{s: "ok"}, "\t\n\f\r ", true},
		{`ok$`, Literal{s: "ok"}, "", true},
		{`(?m)^ok *$`, Literal{s: "ok"}, " ", true},
		{`^\s*ok \s*$`, Literal{s: "ok"}, "\t\n\f\r ", true}, // the literal's own space is skipped with the set
		{`(?i)^\s*done\s*$`, Literal{s: "done", fold: true}, "\t\n\f\r ", true},
		{`(?i)^\s*disk$`, Literal{}, "", false}, // K folds to a non-ASCII rune
		{`(?i)task done[.!]?$`, Literal{s: " done", fold: true}, "!.", true},
		{`^ok`, Literal{}, "", false},
		{`ok.*$`, Literal{}, "", false},
		{`^\s*$`, Literal{}, "", false},
		{`ok|done$`, Literal{}, "", false},
		{`ok\x1b$`, Literal{}, "", false},
		{`ok[^a]*$`, Literal{}, "", false},
		{`(`, Literal{}, "", false},
	}
	for _, tt := range tests {
		got, after, ok := tailLiteral(tt.expr)
		var set string
		if after != nil {
			for c := range 256 {
				if after[c] {
					set += string(rune(c))
				}
			}
		}
		if got != tt.want || ok != tt.ok || set != tt.after {
			t.Errorf("tailLiteral(%q) = %+v, %q, %v; want %+v, %q, %v", tt.expr, got, set, ok, tt.want, tt.after, tt.ok)
		}
	}
}

func TestANSILen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"\x1b[0m", 4}, {"\x1b[1;32mok", 7}, {"\x1b[m", 3}, {"\x1b[0", 0}, {"\x1b0m", 0}, {"\x1b[0;x", 0}, {"", 0}, {"ok", 0},
	}
	for _, tt := range tests {
		if got := ansiLen([]byte(tt.in)); got != tt.want {
			t.Errorf("ansiLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// Whatever the first chunk says about byte frequencies, every keyword must
// be covered: by the bigram scan or by a pass.
func TestPlanCoversEveryKeyword(t *testing.T) {
	var gen bytes.Buffer
	genLog(&gen, 2000)
	samples := map[string][]byte{
		"empty":      nil,
		"one byte":   []byte("x"),
		"flyctl log": gen.Bytes(),
		"keywords":   []byte(strings.Repeat("running integrity_check on vacuum analyze ha256 size-based ok\n", 100)),
	}
	pf := runbookPrefilter()
	for name, sample := range samples {
		pf.planStride(sample, -1)
		for _, k := range pf.scan {
			found := false
			for _, g := range pf.passes {
				for _, ak := range g.keys {
					found = found || ak.lit == k.lit
				}
			}
			for _, keys := range pf.pairKeys {
				for _, ak := range keys {
					found = found || ak.lit == k.lit
				}
			}
			if !found {
				t.Errorf("%s: keyword %q in neither a pass nor the bigram scan (stride %d)", name, k.lit.s, pf.stride)
			}
		}
		// The text of every keyword must select its own line.
		for _, k := range pf.scan {
			line := []byte("x " + k.lit.s + "\n")
			if got, _ := pf.lines(line, nil); len(got) != 1 {
				t.Errorf("%s: line %q not selected (stride %d)", name, line, pf.stride)
			}
		}
	}
}

// FuzzTailLiteral checks the line-end rule against the regexp: a line whose
// parsed message a pattern matches must be selected by the keyword that
// tailLiteral derives from it.
func FuzzTailLiteral(f *testing.F) {
	f.Add(`^\s*ok\s*$`, "  ok \r")
	f.Add(`(?i)^\s*done[.!]*$`, "Task DONE!!")
	f.Add(`ok +$`, "ok  ")
	f.Fuzz(func(t *testing.T, expr, msg string) {
		lit, after, ok := tailLiteral(expr)
		if !ok || strings.ContainsAny(msg, "\n\x1b") {
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		// A line of flyctl's text format ends with its message; the parser
		// drops one carriage return at the end, and fields such as
		// error.code=… before the message (so such messages are left out).
		line := "2026-05-11T11:00:01Z app[0141a59a44b1c4] nrt [info]" + msg
		if !re.MatchString(strings.TrimSuffix(msg, "\r")) || strings.HasPrefix(msg, "e") || strings.HasPrefix(msg, "r") {
			return
		}
		pf := &prefilter{scan: []scanKey{{lit: lit, after: after}}}
		pf.plan([]byte(line))
		if got, _ := pf.lines([]byte(line+"\n"+line), nil); len(got) != 2 {
			t.Errorf("pattern %q matches message %q, but only lines %v of two were selected (keyword %+v)", expr, msg, got, lit)
		}
	})
}

// oracleLines is what prefilter.lines must return: the starts of the lines
// holding an occurrence of a scan keyword (for a tail keyword, one followed
// by nothing but its set and colour codes).
func oracleLines(pf *prefilter, chunk []byte) []int {
	var out []int
	for start := 0; start < len(chunk); {
		end := len(chunk)
		if i := bytes.IndexByte(chunk[start:], '\n'); i >= 0 {
			end = start + i
		}
		line := string(chunk[start:end])
		for _, k := range pf.scan {
			if occursIn(k, line) {
				out = append(out, start)
				break
			}
		}
		start = end + 1
	}
	return out
}

func occursIn(k scanKey, line string) bool {
	for off := 0; off <= len(line); off++ {
		var i int
		if k.lit.fold {
			i = indexFold(line[off:], k.lit.s)
		} else {
			i = strings.Index(line[off:], k.lit.s)
		}
		if i < 0 {
			return false
		}
		if k.after == nil || k.endsLine([]byte(line[off+i+len(k.lit.s):])) {
			return true
		}
		off += i
	}
	return false
}

// FuzzPrefilterLines holds every form of the chunk scan, the bigram scan
// at every stride with the passes and the packed filter on both kernels,
// to the plain definition of a selected line, and the newline count to
// bytes.Count.
func FuzzPrefilterLines(f *testing.F) {
	var gen bytes.Buffer
	genLog(&gen, 4000)
	f.Add(gen.String()[:2000])
	f.Add("x ANALYZE done\nrunning integrity_check on /a\n  ok \r\nok\x1b[0m\nsize-based vacuum skip\nHA256 ok")
	f.Add("trusted stamp matc\nh\nMachine started in 3s\nerror.message=\"x\" y")
	var plans []*prefilter
	for m := 0; m <= maxStride; m++ {
		pf := runbookPrefilter()
		pf.planStride(gen.Bytes()[:1000], m) // a short sample: the pairs it finds rare are not
		plans = append(plans, pf)
	}
	for _, kernel := range kernels() {
		plans = append(plans, packedPlan(f, gen.Bytes()[:1000], kernel), packedPlan(f, nil, kernel))
	}
	f.Fuzz(func(t *testing.T, text string) {
		chunk := []byte(text)
		for _, pf := range plans {
			got, newlines := pf.lines(chunk, nil)
			if want := oracleLines(pf, chunk); !slices.Equal(got, want) {
				t.Fatalf("stride %d, packed %v: lines %v, want %v in %q", pf.stride, pf.packed != nil, got, want, text)
			}
			if want := strings.Count(text, "\n"); newlines != want {
				t.Fatalf("packed %v: %d newlines, want %d in %q", pf.packed != nil, newlines, want, text)
			}
		}
	})
}
