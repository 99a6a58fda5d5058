package bootlog

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// literal is a substring every match of a pattern contains, so a line
// without it can skip the regular expression. fold literals are lower-case
// ASCII compared without case.
type literal struct {
	s    string
	fold bool
}

// requiredLiteral derives the longest literal every match of expr must
// contain. ok is false when there is none (then every line must be tried).
// Under case folding only ASCII letters other than k and s are kept, since
// K and S have non-ASCII folds (U+212A, U+017F) a byte compare would miss.
func requiredLiteral(expr string) (literal, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return literal{}, false
	}
	l := required(re)
	return l, l.s != ""
}

func required(re *syntax.Regexp) literal {
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
		var best literal
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
	return literal{}
}

func foldFlag(f bool) syntax.Flags {
	if f {
		return syntax.FoldCase
	}
	return 0
}

// safeLiteral turns a literal node into a byte-comparable literal: the
// longest piece that a plain or ASCII-folded byte compare cannot miss.
func safeLiteral(re *syntax.Regexp) literal {
	if re.Flags&syntax.FoldCase == 0 {
		return literal{s: string(re.Rune)}
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
	return literal{s: best, fold: true}
}

// in reports whether s contains the literal.
func (l literal) in(s string) bool {
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

// any reports whether s holds one of the keywords.
func (pf *prefilter) any(s string) bool {
	for _, k := range pf.keys {
		if k.in(s) {
			return true
		}
	}
	return false
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

// prefilter finds the lines of a text chunk that contain any keyword, with
// one bytes.IndexByte pass per anchor byte over the whole chunk. Anchors are
// picked from the byte frequencies of the first chunk, so frequent bytes are
// avoided; the choice changes speed, never which lines are found.
type prefilter struct {
	keys   []literal
	groups []anchorGroup
}

type anchorGroup struct {
	b    byte
	keys []anchoredKey
}

type anchoredKey struct {
	lit literal
	off int // position of the anchor byte in lit.s
}

func (pf *prefilter) plan(sample []byte) {
	var hist [256]float64
	for _, c := range sample {
		hist[c]++
	}
	total := float64(len(sample) + 1)
	chosen := map[byte]int{} // byte -> index in pf.groups
	pf.groups = pf.groups[:0]
	for _, k := range pf.keys {
		bestOff, bestCost := 0, 0.0
		for i := 0; i < len(k.s); i++ {
			var cost float64
			for _, b := range variants(k.s[i], k.fold) {
				// A pass costs about as much as one hit per 300 bytes.
				cost += 10 * hist[b] / total
				if _, ok := chosen[b]; !ok {
					cost += 1.0 / 30
				}
			}
			if i == 0 || cost < bestCost {
				bestOff, bestCost = i, cost
			}
		}
		for _, b := range variants(k.s[bestOff], k.fold) {
			g, ok := chosen[b]
			if !ok {
				g = len(pf.groups)
				chosen[b] = g
				pf.groups = append(pf.groups, anchorGroup{b: b})
			}
			pf.groups[g].keys = append(pf.groups[g].keys, anchoredKey{lit: k, off: bestOff})
		}
	}
}

func variants(c byte, fold bool) []byte {
	if fold && 'a' <= c && c <= 'z' {
		return []byte{c, c - 0x20}
	}
	return []byte{c}
}

// lines appends to dst the start offsets of chunk's lines holding a keyword,
// in order and without repeats.
func (pf *prefilter) lines(chunk []byte, dst []int) []int {
	n0 := len(dst)
	// Every pass runs over a cache-sized window before moving on: many
	// passes over the same 32 KiB cost little more than one.
	const window = 32 << 10
	for w := 0; w < len(chunk); w += window {
		end := min(w+window, len(chunk))
		dst = pf.window(chunk, w, end, dst)
	}
	found := dst[n0:]
	if len(pf.groups) > 1 {
		slices.Sort(found)
	}
	return dst[:n0+len(slices.Compact(found))]
}

func (pf *prefilter) window(chunk []byte, from, to int, dst []int) []int {
	for _, g := range pf.groups {
		for i := from; i < to; {
			j := bytes.IndexByte(chunk[i:to], g.b)
			if j < 0 {
				break
			}
			p := i + j
			i = p + 1
			for _, k := range g.keys {
				s := p - k.off
				if s < 0 || s+len(k.lit.s) > len(chunk) {
					continue
				}
				w := chunk[s : s+len(k.lit.s)]
				if k.lit.fold && !equalFold(w, k.lit.s) || !k.lit.fold && string(w) != k.lit.s {
					continue
				}
				dst = append(dst, bytes.LastIndexByte(chunk[:p], '\n')+1)
				if e := bytes.IndexByte(chunk[p:], '\n'); e >= 0 {
					i = p + e + 1
				} else {
					i = len(chunk)
				}
				break
			}
		}
	}
	return dst
}
