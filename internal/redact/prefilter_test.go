package redact

import (
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// regexpString is String without the prefilter: what String must equal.
// Like String, it masks the text a terminal shows when colour codes split
// a secret.
func regexpString(r *Redactor, s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return regexpPlain(r, s)
	}
	bare := bareText(strings.ToValidUTF8(s, ""))
	shown := ansi.Strip(s)
	var found []string
	for _, text := range []string{bare, shown, colourless(s), s} {
		for _, tok := range tokenPattern().FindAllString(text, -1) {
			found = append(found, tokenParts(tok)...)
		}
	}
	if len(found) > 0 {
		r = r.With(found...)
	}
	if masked := regexpPlain(r, bare); masked != bare {
		return masked
	}
	if shown != bare {
		if masked := regexpPlain(r, shown); masked != shown {
			return masked
		}
	}
	return regexpPlain(r, s)
}

func regexpPlain(r *Redactor, s string) string {
	for _, sec := range r.list() {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	s = userinfoPattern().ReplaceAllString(s, "${1}"+Mask+"@")
	return tokenPattern().ReplaceAllString(s, Mask)
}

// prefilterCases are lines at the edges of the prefilter: marks in any case,
// at either end, cut short, next to non-ASCII text, and plain deploy output.
var prefilterCases = append([]string{
	"",
	"f",
	"fm2",
	"fm2_",
	"fm2_x",
	"xfm2_abc",
	"FM1R_abc",
	"Fm1A_abc",
	"fO1_abc",
	"FlYv1 abc",
	"flyv1abc",
	"FLYV1\tabc",
	"BEARER abc,def:ghi",
	"bearer",
	"bearer ",
	"Bearer\u00a0abc",
	"ſm2_abc Kelvin K",
	"é fm2_é fo1_\xff",
	"\xffbearer abc",
	"secretvalue42fm2_abc",
	"fm2_secretvalue42",
	"the bearer of bad news",
}, deployLines()...)

func TestPrefilterSameAsRegexp(t *testing.T) {
	r := New("secretvalue42")
	for _, s := range append(prefilterCases, tokenCorpus...) {
		if got, want := r.String(s), regexpString(r, s); got != want {
			t.Errorf("String(%q) = %q, the regexp alone gives %q", s, got, want)
		}
		if tokenPattern().MatchString(s) && !mayHoldToken(s) {
			t.Errorf("mayHoldToken(%q) = false, but the token pattern matches it", s)
		}
	}
}

// The prefilter folds case in ASCII only; (?i) folds k and s onto non-ASCII
// runes too, so a mark holding one would let such tokens through unseen.
func TestMarksFoldInASCII(t *testing.T) {
	for _, m := range tokenMarks {
		for _, c := range m {
			for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
				if f > unicode.MaxASCII {
					t.Errorf("mark %q: %q folds to %q, which the prefilter does not see", m, c, f)
				}
			}
		}
	}
}

func TestPlainLineAllocatesNothing(t *testing.T) {
	r := New("FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2FrZXMgYXJlIHRhc3R5IQ==", "hunter2hunter2")
	line := "#7 0.001 Collecting autonomath-dep-00001==1.1.0 (from -r requirements.txt (line 2))"
	if n := testing.AllocsPerRun(100, func() { _ = r.String(line) }); n != 0 {
		t.Errorf("String on a line with no secret allocates %v times, want 0", n)
	}
}

// FuzzPrefilter holds String to the regexp alone on any input.
func FuzzPrefilter(f *testing.F) {
	for _, s := range append(prefilterCases, tokenCorpus...) {
		f.Add(s)
	}
	r := New("secretvalue42")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := r.String(s), regexpString(r, s); got != want {
			t.Fatalf("String(%q) = %q, the regexp alone gives %q", s, got, want)
		}
		if tokenPattern().MatchString(s) && !mayHoldToken(s) {
			t.Fatalf("mayHoldToken(%q) = false, but the token pattern matches it", s)
		}
	})
}
