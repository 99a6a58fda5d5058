package fastscan

import (
	"regexp"
	"slices"
	"strings"
)

// Filter holds the keywords of a set of patterns: every line a pattern can
// match holds one of them, so a line without any is skipped unread. It is
// built once and read by any number of scans, one at a time.
type Filter struct {
	keys []Literal // for Any, one message at a time
	scan []scanKey // the chunk scan's own keywords (see prefilter)
}

// NewFilter derives the filter of patterns and markers (plain substrings).
// It is nil when a pattern has no literal that every match contains: then
// every line must be tried. displaced are substrings of lines whose message
// does not end the line (flyctl writes error.message="…" before it): where
// a keyword must end its line, such lines are always selected.
func NewFilter(patterns []*regexp.Regexp, markers []string, displaced []string) *Filter {
	f := &Filter{}
	var inLine []Literal // the chunk scan's keywords found anywhere in a line
	for _, re := range patterns {
		lit, ok := RequiredLiteral(re.String())
		if !ok {
			return nil
		}
		f.keys = append(f.keys, lit)
		if tail, after, ok := tailLiteral(re.String()); ok {
			k := scanKey{lit: tail, after: after}
			if !slices.ContainsFunc(f.scan, func(o scanKey) bool { return o.lit == k.lit && *o.after == *k.after }) {
				f.scan = append(f.scan, k)
			}
			continue
		}
		inLine = append(inLine, lit)
	}
	for _, m := range markers {
		f.keys = append(f.keys, Literal{s: m})
		inLine = append(inLine, Literal{s: m})
	}
	f.keys = minimalKeys(f.keys)
	if len(f.scan) > 0 {
		for _, d := range displaced {
			f.scan = append(f.scan, scanKey{lit: Literal{s: d}})
		}
	}
	for _, l := range minimalKeys(inLine) {
		f.scan = append(f.scan, scanKey{lit: l})
	}
	return f
}

// Any reports whether s holds one of the keywords.
func (f *Filter) Any(s string) bool {
	for _, k := range f.keys {
		if k.In(s) {
			return true
		}
	}
	return false
}

// planned is a prefilter of f's chunk scan, for one scan.
func (f *Filter) planned(sample []byte) *prefilter {
	pf := &prefilter{scan: f.scan}
	pf.plan(sample)
	return pf
}

// minimalKeys drops keywords that contain another keyword: a line holding
// the longer one holds the shorter one too.
func minimalKeys(keys []Literal) []Literal {
	var out []Literal
	for i, a := range keys {
		redundant := false
		for j, b := range keys {
			if i == j || len(b.s) > len(a.s) || (len(b.s) == len(a.s) && (j > i || b.fold != a.fold)) {
				continue
			}
			if b.fold && indexFold(a.s, b.s) >= 0 || !b.fold && !a.fold && strings.Contains(a.s, b.s) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, a)
		}
	}
	return out
}
