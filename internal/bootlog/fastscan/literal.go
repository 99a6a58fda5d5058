package fastscan

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Literal is a substring every match of a pattern contains, so a line
// without it can skip the regular expression. fold literals are lower-case
// ASCII compared without case.
type Literal struct {
	s    string
	fold bool
}

// RequiredLiteral derives the longest literal every match of expr must
// contain. ok is false when there is none (then every line must be tried).
// Under case folding only ASCII letters other than k and s are kept, since
// K and S have non-ASCII folds (U+212A, U+017F) a byte compare would miss.
func RequiredLiteral(expr string) (Literal, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return Literal{}, false
	}
	l := required(re)
	return l, l.s != ""
}

func required(re *syntax.Regexp) Literal {
	switch re.Op {
	case syntax.OpLiteral:
		return safeLiteral(re)
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var best Literal
		// Adjacent literals with the same folding join into a longer one.
		var run []rune
		runFold := false
		flush := func() {
			if len(run) > 0 {
				l := safeLiteral(&syntax.Regexp{Op: syntax.OpLiteral, Rune: run, Flags: foldFlag(runFold)})
				if len(l.s) > len(best.s) {
					best = l
				}
			}
			run = nil
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				f := sub.Flags&syntax.FoldCase != 0
				if len(run) > 0 && f != runFold {
					flush()
				}
				run, runFold = append(run, sub.Rune...), f
				continue
			}
			flush()
			if l := required(sub); len(l.s) > len(best.s) {
				best = l
			}
		}
		flush()
		return best
	}
	return Literal{}
}

func foldFlag(f bool) syntax.Flags {
	if f {
		return syntax.FoldCase
	}
	return 0
}

// safeLiteral turns a literal node into a byte-comparable literal: the
// longest piece that a plain or ASCII-folded byte compare cannot miss.
func safeLiteral(re *syntax.Regexp) Literal {
	if re.Flags&syntax.FoldCase == 0 {
		return Literal{s: string(re.Rune)}
	}
	best, cur := "", []byte{}
	for _, r := range re.Rune {
		c := byte(r | 0x20)
		switch {
		case r >= utf8.RuneSelf, c == 'k', c == 's':
			if len(cur) > len(best) {
				best = string(cur)
			}
			cur = cur[:0]
			continue
		case 'a' <= c && c <= 'z':
			cur = append(cur, c)
		default:
			cur = append(cur, byte(r))
		}
	}
	if len(cur) > len(best) {
		best = string(cur)
	}
	return Literal{s: best, fold: true}
}

// In reports whether s contains the literal.
func (l Literal) In(s string) bool {
	if !l.fold {
		return strings.Contains(s, l.s)
	}
	return indexFold(s, l.s) >= 0
}

// indexFold finds lower-case ASCII needle in b without case. It jumps with
// strings.IndexByte to a byte that has no case if the needle has one, else
// to either case of its first letter.
func indexFold(b string, needle string) int {
	if len(needle) == 0 {
		return 0
	}
	off := 0
	for off < len(needle) && 'a' <= needle[off] && needle[off] <= 'z' {
		off++
	}
	if off == len(needle) {
		off = 0
	}
	c := needle[off]
	hasCase := 'a' <= c && c <= 'z'
	for i := off; i < len(b); {
		j := strings.IndexByte(b[i:], c)
		if hasCase {
			if k := strings.IndexByte(b[i:], c-0x20); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		p := i + j - off
		if p+len(needle) <= len(b) && equalFold(b[p:p+len(needle)], needle) {
			return p
		}
		i += j + 1
	}
	return -1
}

// equalFold compares b with lower-case ASCII needle, folding only letters.
func equalFold[T string | []byte](b T, needle string) bool {
	for i := 0; i < len(needle); i++ {
		x, y := b[i], needle[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' && x|0x20 == y {
			continue
		}
		return false
	}
	return true
}

// byteSet is a set of bytes.
type byteSet [256]bool

// tailLiteral derives, for a pattern that matches only where its last
// literal ends the message but for optional bytes of a small ASCII set (like
// `^\s*ok\s*$`), that literal and the set. A line with such a message ends
// with the literal too, colour codes and the set aside, so the prefilter
// checks a short word like "ok" only where it ends a line. ok is false for
// any other pattern.
func tailLiteral(expr string) (lit Literal, after *byteSet, ok bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return Literal{}, nil, false
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	n := len(subs)
	if n < 2 || subs[n-1].Op != syntax.OpEndText && subs[n-1].Op != syntax.OpEndLine {
		return Literal{}, nil, false
	}
	after = new(byteSet)
	i := n - 2
	for ; i >= 0 && subs[i].Op != syntax.OpLiteral; i-- {
		if !onlyBytes(subs[i], after) {
			return Literal{}, nil, false
		}
	}
	if i < 0 {
		return Literal{}, nil, false
	}
	lit = trailingLiteral(subs[i])
	// Bytes of the set at the literal's end would be skipped with the set.
	for len(lit.s) > 0 {
		c := lit.s[len(lit.s)-1]
		if !after[c] && !(lit.fold && 'a' <= c && c <= 'z' && after[c-0x20]) {
			break
		}
		lit.s = lit.s[:len(lit.s)-1]
	}
	if lit.s == "" || strings.IndexByte(lit.s, 0x1b) >= 0 {
		return Literal{}, nil, false
	}
	return lit, after, true
}

// onlyBytes adds to set every byte re can match and reports whether re
// matches only ASCII bytes (and empty strings).
func onlyBytes(re *syntax.Regexp, set *byteSet) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpEndText, syntax.OpEndLine:
		return true
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat, syntax.OpCapture, syntax.OpConcat, syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !onlyBytes(sub, set) {
				return false
			}
		}
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] >= utf8.RuneSelf {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set[r] = true
			}
		}
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf || re.Flags&syntax.FoldCase != 0 && (r|0x20 == 'k' || r|0x20 == 's') {
				return false // K and S fold to non-ASCII runes too
			}
			set[r] = true
			if re.Flags&syntax.FoldCase != 0 && 'a' <= r|0x20 && r|0x20 <= 'z' {
				set[r^0x20] = true
			}
		}
		return true
	}
	return false
}

// trailingLiteral is the longest byte-comparable end of a literal node: all
// of it, or under case folding the run after its last non-ASCII, k or s.
func trailingLiteral(re *syntax.Regexp) Literal {
	if re.Flags&syntax.FoldCase == 0 {
		return Literal{s: string(re.Rune)}
	}
	var b []byte
	for _, r := range re.Rune {
		c := byte(r | 0x20)
		switch {
		case r >= utf8.RuneSelf, c == 'k', c == 's':
			b = b[:0]
		case 'a' <= c && c <= 'z':
			b = append(b, c)
		default:
			b = append(b, byte(r))
		}
	}
	return Literal{s: string(b), fold: true}
}
