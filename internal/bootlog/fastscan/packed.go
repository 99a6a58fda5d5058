package fastscan

import (
	"bytes"
	"math/bits"
)

// The packed filter is the chunk scan where the CPU has the vector
// instructions for it (see packedKernel): Teddy, the multi-literal search
// of Hyperscan and Rust's aho-corasick. Each keyword is represented by a
// window of packedWidth consecutive bytes of it, one of packedBuckets
// buckets holds it, and for every byte j of a window two 16-entry tables,
// indexed by the low and the high nibble of a byte, hold the buckets that
// allow that nibble there. A position of the text is a candidate when, for
// every j, both nibbles of the byte at it+j allow one bucket in common:
// 32 positions are tested at once with byte shuffles, and the newlines of
// the chunk are counted in the same pass. Candidates are verified like the
// bigram scan's hits. Nibble tables over-approximate a set of bytes, never
// under-approximate it, so no occurrence is missed.
const (
	packedWidth   = 3
	packedBuckets = 8
	// packedTail is how far past a block of 32 positions its windows read.
	packedTail = packedWidth - 1
)

// packedMasks are the nibble tables: [j][0] by low nibble, [j][1] by high
// nibble, each 16 entries written twice for the two 128-bit lanes of a
// 256-bit shuffle.
type packedMasks [packedWidth][2][32]byte

type packedFilter struct {
	masks   packedMasks
	buckets [packedBuckets][]anchoredKey
	kernel  func(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)
}

// window is what the nibble tables of a window let through at each of its
// bytes: the low and the high nibbles, as bit sets.
type window [packedWidth]struct{ lo, hi uint16 }

// newPackedFilter places each keyword's window where its bytes are rarest
// in freq, then shares buckets among keywords, merging first those whose
// union adds the fewest expected candidates.
func newPackedFilter(keys []scanKey, freq *[256]float64) *packedFilter {
	type group struct {
		win  window
		rate float64
		keys []anchoredKey
	}
	var groups []group
	for _, k := range keys {
		off, win := bestWindow(k, freq)
		groups = append(groups, group{win: win, rate: rate(win, freq), keys: []anchoredKey{{scanKey: k, off: off}}})
	}
	for len(groups) > packedBuckets {
		bi, bj, best := 0, 1, -1.0
		for i := range groups {
			for j := i + 1; j < len(groups); j++ {
				u := union(groups[i].win, groups[j].win)
				cost := rate(u, freq) - groups[i].rate - groups[j].rate
				if best < 0 || cost < best {
					bi, bj, best = i, j, cost
				}
			}
		}
		groups[bi].win = union(groups[bi].win, groups[bj].win)
		groups[bi].rate = rate(groups[bi].win, freq)
		groups[bi].keys = append(groups[bi].keys, groups[bj].keys...)
		groups = append(groups[:bj], groups[bj+1:]...)
	}
	pf := &packedFilter{kernel: packedKernel}
	if pf.kernel == nil {
		pf.kernel = packedBlocksGo
	}
	for b, g := range groups {
		pf.buckets[b] = g.keys
		for j, nb := range g.win {
			for n := range 16 {
				if nb.lo&(1<<n) != 0 {
					pf.masks[j][0][n] |= 1 << b
				}
				if nb.hi&(1<<n) != 0 {
					pf.masks[j][1][n] |= 1 << b
				}
			}
		}
	}
	for j := range packedWidth {
		for h := range 2 {
			copy(pf.masks[j][h][16:], pf.masks[j][h][:16])
		}
	}
	return pf
}

// bestWindow chooses the window of k with the fewest expected candidates.
// A keyword shorter than the window is padded: a tail keyword with the
// bytes that may follow it (its set, a colour code, a line end), any other
// with any byte.
func bestWindow(k scanKey, freq *[256]float64) (off int, best window) {
	bestRate := -1.0
	for w := 0; w == 0 || w+packedWidth <= len(k.lit.s); w++ {
		var win window
		add := func(j int, c byte) {
			win[j].lo |= 1 << (c & 15)
			win[j].hi |= 1 << (c >> 4)
		}
		for j := range packedWidth {
			p := w + j
			switch {
			case p < len(k.lit.s):
				for _, c := range variants(k.lit.s[p], k.lit.fold) {
					add(j, c)
				}
			case p == len(k.lit.s) && k.after != nil:
				for c := range 256 {
					if k.after[c] {
						add(j, byte(c))
					}
				}
				add(j, '\n')
				add(j, '\r')
				add(j, 0x1b)
			default:
				win[j].lo, win[j].hi = 0xffff, 0xffff
			}
		}
		if r := rate(win, freq); bestRate < 0 || r < bestRate {
			off, best, bestRate = w, win, r
		}
	}
	return off, best
}

func union(a, b window) window {
	for j := range a {
		a[j].lo |= b[j].lo
		a[j].hi |= b[j].hi
	}
	return a
}

// rate is the expected share of positions that are candidates of win: the
// product over its bytes of the frequency of the bytes both of whose
// nibbles it lets through.
func rate(win window, freq *[256]float64) float64 {
	r := 1.0
	for _, nb := range win {
		f := 0.0
		for hi := range 16 {
			if nb.hi&(1<<hi) == 0 {
				continue
			}
			for lo := range 16 {
				if nb.lo&(1<<lo) != 0 {
					f += freq[hi<<4|lo]
				}
			}
		}
		r *= f
	}
	return r
}

// bucketsAt is the filter at one position, as the kernel computes it; a
// window reaching past the chunk reads line ends there, as a tail keyword
// may end the chunk.
func (pf *packedFilter) bucketsAt(chunk []byte, p int) byte {
	b := byte(0xff)
	for j := range packedWidth {
		c := byte('\n')
		if p+j < len(chunk) {
			c = chunk[p+j]
		}
		b &= pf.masks[j][0][c&15] & pf.masks[j][1][c>>4]
	}
	return b
}

// packedCandidates is the size of the candidate buffer of one kernel call:
// a block offset and its 32-bit mask per block with a candidate.
const packedCandidates = 2 * 128

// lines is prefilter.lines on the packed filter, returning the number of
// newlines in chunk too, which the kernel counts in the same pass.
func (pf *packedFilter) lines(chunk []byte, dst []int) ([]int, int) {
	var cand [packedCandidates]uint32
	newlines := 0
	next := 0 // where the line after the last selected one starts
	verifyAt := func(p int) {
		if p < next {
			return
		}
		for bs := pf.bucketsAt(chunk, p); bs != 0; bs &= bs - 1 {
			if eol, ok := verify(chunk, p, pf.buckets[bits.TrailingZeros8(bs)], &dst); ok {
				next = eol + 1
				return
			}
		}
	}
	base := 0
	for base+32+packedTail <= len(chunk) {
		done, nl, n := pf.kernel(&pf.masks, chunk[base:], cand[:])
		newlines += nl
		for i := 0; i < n; i += 2 {
			at := base + int(cand[i])
			for m := cand[i+1]; m != 0; m &= m - 1 {
				verifyAt(at + bits.TrailingZeros32(m))
			}
		}
		base += done
	}
	for p := base; p < len(chunk); p++ {
		verifyAt(p)
	}
	return dst, newlines + bytes.Count(chunk[base:], []byte{'\n'})
}

// packedBlocksGo is the kernel's definition, which tests hold it to: from the start of buf, for each block of 32 positions whose
// windows lie inside buf, it counts the block's newlines and, when the
// block has candidates, appends its offset and their mask to out. It stops
// after the last such block or when out is full, returning how far it got.
func packedBlocksGo(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int) {
	pf := packedFilter{masks: *masks}
	for ; done+32+packedTail <= len(buf); done += 32 {
		if n+2 > len(out) {
			break
		}
		var m uint32
		for i := range 32 {
			if buf[done+i] == '\n' {
				newlines++
			}
			if pf.bucketsAt(buf, done+i) != 0 {
				m |= 1 << i
			}
		}
		if m != 0 {
			out[n], out[n+1] = uint32(done), m
			n += 2
		}
	}
	return done, newlines, n
}

// packedKernel is packedBlocksGo in vector instructions, nil where the CPU
// has none for it; then the chunk scan uses the bigram scan.
var packedKernel func(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)

// vectorKernels are the vector kernels this CPU runs, by name, packedKernel
// among them; tests hold each to packedBlocksGo.
var vectorKernels = map[string]func(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int){}
