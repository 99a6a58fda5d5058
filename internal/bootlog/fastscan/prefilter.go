package fastscan

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// scanKey is a keyword of the chunk scan: found anywhere in a line, or,
// when after is set, only where nothing but bytes of after and colour codes
// follow it to the end of its line (see tailLiteral).
type scanKey struct {
	lit   Literal
	after *byteSet
}

// prefilter finds the lines of a text chunk that hold a keyword of scan,
// which plan splits two ways by the byte frequencies of the first chunk:
//   - one bigram scan: the byte pair at every stride-th position is looked
//     up in a table of rare pairs of the keywords, each keyword giving
//     stride consecutive pairs, so every occurrence of it puts one of them
//     on a looked-up position;
//   - a vectorised bytes.IndexByte pass per anchor byte for the keywords
//     too short for the stride, like a bare "ok" that must end its line,
//     or with a byte that is (nearly) absent from the text.
//
// The choice changes speed, never which lines are found. Where the CPU has
// the vector instructions for it, the packed filter (packed.go) replaces
// both.
type prefilter struct {
	scan []scanKey

	passes   []anchorGroup
	stride   int              // 0 when no keyword needs the bigram scan
	pairAt   *[1 << 16]uint16 // 1 + index in pairKeys of the pairs the bigram scan looks up, else 0
	pairKeys [][]anchoredKey

	packed *packedFilter // the chunk scan instead of the above, where the CPU can run it
}

type anchorGroup struct {
	b    byte
	keys []anchoredKey
}

type anchoredKey struct {
	scanKey
	off int // position of the anchor byte or pair in lit.s
}

// Rough costs on amd64, in nanoseconds: a bytes.IndexByte pass, a byte;
// a lookup of the bigram scan; the verification of a hit of either.
const (
	passCost   = 0.03
	lookupCost = 1.0
	hitCost    = 40.0
	maxStride  = 6 // two pairs in eight bytes
	// minPairSample is the least sample (the whole log if shorter) for
	// which the bigram scan is considered.
	minPairSample = 16 << 10
)

// plan builds the packed filter on sample's byte frequencies where the
// CPU can run its kernel (see packed.go), and plans the bigram scan
// elsewhere.
func (pf *prefilter) plan(sample []byte) {
	pf.packed = nil
	if packedKernel != nil && len(pf.scan) > 0 {
		pf.packed = newPackedFilter(pf.scan, byteFreq(sample))
		return
	}
	pf.planStride(sample, -1)
}

// byteFreq is each byte's share of sample, counting one more of every
// byte, so a short sample rules no byte out.
func byteFreq(sample []byte) *[256]float64 {
	var freq [256]float64
	for _, c := range sample {
		freq[c]++
	}
	for c := range freq {
		freq[c] = (freq[c] + 1) / float64(len(sample)+256)
	}
	return &freq
}

// planStride splits the keywords between passes and the bigram scan with
// the given stride, or, when it is -1, the stride (none, or 1 to
// maxStride) with the least estimated cost on sample: the longer the
// stride, the fewer lookups, but keywords shorter than stride+1 need
// passes and the others more pairs in the table.
func (pf *prefilter) planStride(sample []byte, stride int) {
	pf.packed = nil
	total := float64(len(sample) + 1)
	var freq [256]float64
	for _, c := range sample {
		freq[c]++
	}
	// A short log is scanned faster than the tables are built: passes only.
	maxM := 0
	var pairFreq []uint32
	if len(sample) >= minPairSample || stride > 0 {
		maxM = maxStride
		pairFreq = make([]uint32, 1<<16)
		for i := 0; i+1 < len(sample); i++ {
			pairFreq[uint16(sample[i])|uint16(sample[i+1])<<8]++
		}
	}
	// anchor is the position of k's rarest byte and its frequency.
	anchor := func(k scanKey) (off int, hits float64) {
		hits = -1
		for i := 0; i < len(k.lit.s); i++ {
			h := 0.0
			for _, b := range variants(k.lit.s[i], k.lit.fold) {
				h += freq[b] / total
			}
			if hits < 0 || h < hits {
				off, hits = i, h
			}
		}
		return off, hits
	}
	// window is the run of m pairs of k with the fewest hits.
	window := func(k scanKey, m int) (int, float64) {
		best, bestHits := 0, -1.0
		for w := 0; w+m <= len(k.lit.s)-1; w++ {
			h := 0.0
			for off := w; off < w+m; off++ {
				for _, v := range pairVariants(k.lit, off) {
					h += float64(pairFreq[v]) / total
				}
			}
			if bestHits < 0 || h < bestHits {
				best, bestHits = w, h
			}
		}
		return best, bestHits
	}
	paired := func(k scanKey, m int) bool { return m > 0 && k.after == nil && len(k.lit.s)-1 >= m }
	bestCost := -1.0
	for m := 0; m <= maxM; m++ {
		cost, pairHits := 0.0, 0.0
		var passBytes byteSet
		for _, k := range pf.scan {
			if paired(k, m) {
				_, h := window(k, m)
				pairHits += h
				continue
			}
			off, _ := anchor(k)
			for _, b := range variants(k.lit.s[off], k.lit.fold) {
				if !passBytes[b] {
					passBytes[b] = true
					cost += passCost + hitCost*freq[b]/total
				}
			}
		}
		if m > 0 {
			cost += (lookupCost + hitCost*pairHits) / float64(m)
		}
		if bestCost < 0 || cost < bestCost {
			pf.stride, bestCost = m, cost
		}
	}
	if stride >= 0 {
		pf.stride = stride
	}

	pf.passes, pf.pairAt, pf.pairKeys = nil, nil, nil
	if pf.stride > 0 && !fewPairs(pf.scan, pf.stride) {
		pf.stride = 0 // more pairs than pairAt can index: passes only
	}
	byPair := map[uint16][]anchoredKey{}
	group := map[byte]int{}
	for _, k := range pf.scan {
		if paired(k, pf.stride) {
			w, _ := window(k, pf.stride)
			for off := w; off < w+pf.stride; off++ {
				for _, v := range pairVariants(k.lit, off) {
					byPair[v] = append(byPair[v], anchoredKey{scanKey: k, off: off})
				}
			}
			continue
		}
		off, _ := anchor(k)
		for _, b := range variants(k.lit.s[off], k.lit.fold) {
			g, ok := group[b]
			if !ok {
				g = len(pf.passes)
				group[b] = g
				pf.passes = append(pf.passes, anchorGroup{b: b})
			}
			pf.passes[g].keys = append(pf.passes[g].keys, anchoredKey{scanKey: k, off: off})
		}
	}
	if pf.stride == 0 {
		return
	}
	pf.pairAt = new([1 << 16]uint16)
	for v, keys := range byPair {
		pf.pairKeys = append(pf.pairKeys, keys)
		pf.pairAt[v] = uint16(len(pf.pairKeys))
	}
}

// fewPairs reports whether the pairs of the keywords' windows, at most
// stride pairs of four case variants each, surely fit pairAt.
func fewPairs(keys []scanKey, stride int) bool {
	return len(keys)*stride*4 < 1<<16
}

func variants(c byte, fold bool) []byte {
	if fold && 'a' <= c && c <= 'z' {
		return []byte{c, c - 0x20}
	}
	return []byte{c}
}

// pairVariants lists the byte pairs (first byte low) that lit's pair at off
// can be in the text.
func pairVariants(lit Literal, off int) []uint16 {
	var out []uint16
	for _, a := range variants(lit.s[off], lit.fold) {
		for _, b := range variants(lit.s[off+1], lit.fold) {
			out = append(out, uint16(a)|uint16(b)<<8)
		}
	}
	return out
}

// lines appends to dst the start offsets of chunk's lines that may matter,
// in order and without repeats, and returns the number of newlines in chunk.
func (pf *prefilter) lines(chunk []byte, dst []int) ([]int, int) {
	if pf.packed != nil {
		return pf.packed.lines(chunk, dst)
	}
	return pf.unpackedLines(chunk, dst), bytes.Count(chunk, []byte{'\n'})
}

func (pf *prefilter) unpackedLines(chunk []byte, dst []int) []int {
	n0 := len(dst)
	if pf.stride > 0 {
		dst = pf.pairScan(chunk, dst)
	}
	for i := range pf.passes {
		dst = pf.pass(chunk, &pf.passes[i], dst)
	}
	found := dst[n0:]
	slices.Sort(found)
	return dst[:n0+len(slices.Compact(found))]
}

// endsLine reports whether rest, the line after a tail keyword, holds only
// bytes of k.after and colour codes, once the parser's trimEOL and stripANSI
// are done with it.
func (k *scanKey) endsLine(rest []byte) bool {
	if n := len(rest); n > 0 && rest[n-1] == '\r' {
		rest = rest[:n-1]
	}
	for i := 0; i < len(rest); {
		if n := ansiLen(rest[i:]); n > 0 {
			i += n
			continue
		}
		if !k.after[rest[i]] {
			return false
		}
		i++
	}
	return true
}

// ansiLen is the length of the SGR sequence (ESC[…m) at the start of b, or 0.
func ansiLen(b []byte) int {
	if len(b) < 3 || b[0] != 0x1b || b[1] != '[' {
		return 0
	}
	for j := 2; j < len(b); j++ {
		switch c := b[j]; {
		case c == 'm':
			return j + 1
		case c < '0' || c > '9' && c != ';':
			return 0
		}
	}
	return 0
}

func (l Literal) equal(b []byte) bool {
	if l.fold {
		return equalFold(b, l.s)
	}
	return string(b) == l.s
}

// pairScan is the bigram scan. It reads eight bytes at a time and looks
// up the pairs at i and i+stride with one branch.
func (pf *prefilter) pairScan(chunk []byte, dst []int) []int {
	tab, m := pf.pairAt, pf.stride
	shift := uint(8*m) & 63
	i := 0
	for i+8 <= len(chunk) {
		x := binary.LittleEndian.Uint64(chunk[i:])
		a, b := uint16(x), uint16(x>>shift)
		if tab[a]|tab[b] == 0 {
			i += 2 * m
			continue
		}
		if eol, ok := pf.pairAt1(chunk, i, a, &dst); ok {
			i = eol + 1
		} else if eol, ok := pf.pairAt1(chunk, i+m, b, &dst); ok {
			i = eol + 1
		} else {
			i += 2 * m
		}
	}
	for ; i+1 < len(chunk); i += m {
		v := uint16(chunk[i]) | uint16(chunk[i+1])<<8
		if eol, ok := pf.pairAt1(chunk, i, v, &dst); ok {
			i = eol + 1 - m
		}
	}
	return dst
}

// pairAt1 verifies the keywords of pair v at p, if it is one of the table's.
func (pf *prefilter) pairAt1(chunk []byte, p int, v uint16, dst *[]int) (eol int, ok bool) {
	i := pf.pairAt[v]
	if i == 0 {
		return 0, false
	}
	return verify(chunk, p, pf.pairKeys[i-1], dst)
}

// pass finds g's keywords by their anchor byte.
func (pf *prefilter) pass(chunk []byte, g *anchorGroup, dst []int) []int {
	for i := 0; i < len(chunk); {
		j := bytes.IndexByte(chunk[i:], g.b)
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		if eol, ok := verify(chunk, p, g.keys, &dst); ok {
			i = eol + 1
		}
	}
	return dst
}

// verify checks keys anchored at p; on a match it appends the start of
// its line to dst and returns the line's end.
func verify(chunk []byte, p int, keys []anchoredKey, dst *[]int) (eol int, ok bool) {
	for i := range keys {
		k := &keys[i]
		s := p - k.off
		e := s + len(k.lit.s)
		if s < 0 || e > len(chunk) || !k.lit.equal(chunk[s:e]) {
			continue
		}
		eol = len(chunk)
		if j := bytes.IndexByte(chunk[e:], '\n'); j >= 0 {
			eol = e + j
		}
		if k.after != nil && !k.endsLine(chunk[e:eol]) {
			continue
		}
		*dst = append(*dst, bytes.LastIndexByte(chunk[:s], '\n')+1)
		return eol, true
	}
	return 0, false
}
