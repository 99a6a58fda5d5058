package fastscan

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// packedPlan builds the default runbook's packed filter on sample, run by
// kernel.
func packedPlan(t testing.TB, sample []byte, kernel func(*packedMasks, []byte, []uint32) (int, int, int)) *prefilter {
	t.Helper()
	pf := runbookPrefilter()
	pf.packed = newPackedFilter(pf.scan, byteFreq(sample))
	pf.packed.kernel = kernel
	return pf
}

// kernels are the packed kernels this machine can run: the definition in
// Go, and the vector one when the CPU has it.
func kernels() map[string]func(*packedMasks, []byte, []uint32) (int, int, int) {
	ks := map[string]func(*packedMasks, []byte, []uint32) (int, int, int){"go": packedBlocksGo}
	for name, k := range vectorKernels {
		ks[name] = k
	}
	return ks
}

// The vector kernel must return what its definition does: the same
// blocks, masks and newline count, and stop at the same place when the
// candidate buffer fills.
func TestPackedKernelAgrees(t *testing.T) {
	if packedKernel == nil {
		t.Skip("this CPU has no AVX2: the chunk scan uses the bigram scan, tested elsewhere")
	}
	var gen bytes.Buffer
	genLog(&gen, 3000)
	log := gen.Bytes()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	keywords := []byte(strings.Repeat("running integrity_check on x\n ok\nSIZE-BASED vacuum skip\n", 40))
	var randomMasks packedMasks
	for j := range randomMasks {
		for h := range randomMasks[j] {
			for i := range 16 {
				r := rng.Uint32()
				randomMasks[j][h][i] = byte(r) & byte(r>>8) // sparse, so some blocks have none
			}
			copy(randomMasks[j][h][16:], randomMasks[j][h][:16])
		}
	}
	tests := []struct {
		name  string
		masks *packedMasks
		text  []byte
	}{
		{"flyctl log", &packedPlan(t, log, packedBlocksGo).packed.masks, log},
		{"keywords everywhere", &packedPlan(t, log, packedBlocksGo).packed.masks, keywords},
		{"random bytes, random masks", &randomMasks, random},
		{"all-pass masks", allPass(), random},
	}
	for _, tt := range tests {
		for _, size := range []int{0, 1, 33, 34, 35, 65, 66, 67, 97, 98, 99, 100, 129, 130, 131, len(tt.text)} {
			text := tt.text[:min(size, len(tt.text))]
			for _, outLen := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, packedCandidates} {
				for name, kernel := range vectorKernels {
					gotOut, wantOut := make([]uint32, outLen), make([]uint32, outLen)
					gd, gn, gc := kernel(tt.masks, text, gotOut)
					wd, wn, wc := packedBlocksGo(tt.masks, text, wantOut)
					if gd != wd || gn != wn || gc != wc || !slices.Equal(gotOut[:gc], wantOut[:wc]) {
						t.Fatalf("%s kernel, %s, %d bytes, out %d: kernel (done %d, newlines %d, %v), definition (done %d, newlines %d, %v)",
							name, tt.name, len(text), outLen, gd, gn, gotOut[:gc], wd, wn, wantOut[:wc])
					}
				}
			}
		}
	}
}

func allPass() *packedMasks {
	var m packedMasks
	for j := range m {
		for h := range m[j] {
			for i := range m[j][h] {
				m[j][h][i] = 0xff
			}
		}
	}
	return &m
}

// FuzzPackedKernel holds the vector kernel to its definition on any
// tables, text and candidate buffer size.
func FuzzPackedKernel(f *testing.F) {
	if packedKernel == nil {
		f.Skip("this CPU has no AVX2")
	}
	var gen bytes.Buffer
	genLog(&gen, 200)
	pf := packedPlan(f, gen.Bytes(), packedBlocksGo)
	f.Add(pf.packed.masks[0][0][:16], pf.packed.masks[1][1][:16], gen.Bytes()[:3000], uint8(255))
	f.Add([]byte("\xff\x01\x02\x04"), []byte("\x80\x40"), []byte("running integrity_check on /data/a.db\nok\n"), uint8(2))
	f.Fuzz(func(t *testing.T, lo, hi, text []byte, outLen uint8) {
		var m packedMasks
		for j := range m {
			for i := range 16 {
				if k := j*16 + i; k < len(lo) {
					m[j][0][i] = lo[k]
				}
				if k := j*16 + i; k < len(hi) {
					m[j][1][i] = hi[k]
				}
			}
			for h := range 2 {
				copy(m[j][h][16:], m[j][h][:16])
			}
		}
		for name, kernel := range vectorKernels {
			gotOut, wantOut := make([]uint32, outLen), make([]uint32, outLen)
			gd, gn, gc := kernel(&m, text, gotOut)
			wd, wn, wc := packedBlocksGo(&m, text, wantOut)
			if gd != wd || gn != wn || gc != wc || !slices.Equal(gotOut[:gc], wantOut[:wc]) {
				t.Fatalf("%s kernel (done %d, newlines %d, %v), definition (done %d, newlines %d, %v)", name, gd, gn, gotOut[:gc], wd, wn, wantOut[:wc])
			}
		}
	})
}

// Every keyword must be found wherever it falls against the kernel's
// blocks of 32 positions and the chunk's end, in either case where it
// folds, and the newlines counted: the default runbook's keywords, and
// keywords shorter than a window (a tail keyword whose set has no byte
// with a zero nibble, a single byte).
func TestPackedFindsKeywordsAtEveryAlignment(t *testing.T) {
	bang := new(byteSet)
	bang['!'] = true
	short := []scanKey{{lit: Literal{s: "ok"}, after: bang}, {lit: Literal{s: "q"}}, {lit: Literal{s: "zz", fold: true}}}
	for name, kernel := range kernels() {
		custom := &prefilter{scan: short}
		var freq [256]float64
		for c := range freq {
			freq[c] = 1.0 / 256
		}
		custom.packed = newPackedFilter(short, &freq)
		custom.packed.kernel = kernel
		for _, pf := range []*prefilter{packedPlan(t, nil, kernel), custom} {
			for _, k := range pf.scan {
				forms := []string{k.lit.s}
				if k.lit.fold {
					forms = append(forms, strings.ToUpper(k.lit.s))
				}
				for _, form := range forms {
					for pad := range 70 {
						for _, end := range []string{"", "!", "\n", "!!\r\n", "\x1b[0m\n", "\nnext line\n"} {
							chunk := []byte(strings.Repeat("-", pad) + form + end)
							got, newlines := pf.lines(chunk, nil)
							want := oracleLines(pf, chunk)
							if !slices.Equal(got, want) || len(want) == 0 && (k.after == nil || end != "!" && end != "!!\r\n") {
								t.Fatalf("%s kernel: %q: lines %v, want %v", name, chunk, got, want)
							}
							if n := bytes.Count(chunk, []byte{'\n'}); newlines != n {
								t.Fatalf("%s kernel: %q: %d newlines, want %d", name, chunk, newlines, n)
							}
						}
					}
				}
			}
		}
	}
}

// Each keyword has a bucket, and a bucket's tables let every keyword in it
// through at its window.
func TestPackedPlanCoversEveryKeyword(t *testing.T) {
	var gen bytes.Buffer
	genLog(&gen, 2000)
	for name, sample := range map[string][]byte{"empty": nil, "flyctl log": gen.Bytes(), "one byte": []byte("k")} {
		pf := packedPlan(t, sample, packedBlocksGo)
		for _, k := range pf.scan {
			found := false
			for b, keys := range pf.packed.buckets {
				for _, ak := range keys {
					if ak.lit != k.lit {
						continue
					}
					found = true
					line := []byte(k.lit.s + "\n")
					if bs := pf.packed.bucketsAt(line, ak.off); bs&(1<<b) == 0 {
						t.Errorf("%s: %q in bucket %d, but its window at %d gives buckets %08b", name, k.lit.s, b, ak.off, bs)
					}
				}
			}
			if !found {
				t.Errorf("%s: keyword %q in no bucket", name, k.lit.s)
			}
		}
	}
}

// Most of a log's positions are not candidates: the point of the plan.
func TestPackedPlanIsSelective(t *testing.T) {
	var gen bytes.Buffer
	genLog(&gen, 20000)
	log := gen.Bytes()
	pf := packedPlan(t, log[:min(len(log), planSample)], packedBlocksGo)
	candidates := 0
	for p := range log {
		if pf.packed.bucketsAt(log, p) != 0 {
			candidates++
		}
	}
	if share := float64(candidates) / float64(len(log)); share > 0.001 {
		t.Errorf("%d candidates in %d bytes (%.4f%%), want under 0.1%%", candidates, len(log), 100*share)
	}
}

// BenchmarkPackedKernel is the vector kernel alone over a chunk of a
// flyctl log in cache, with bytes.Count, one pass of the runtime's own
// vector code, as the baseline.
func BenchmarkPackedKernel(b *testing.B) {
	var gen bytes.Buffer
	genLog(&gen, 8000)
	chunk := gen.Bytes()[:1<<20]
	var out [packedCandidates]uint32
	for name, kernel := range kernels() {
		pf := packedPlan(b, chunk, kernel)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				for base := 0; base+32+packedTail <= len(chunk); {
					done, _, _ := kernel(&pf.packed.masks, chunk[base:], out[:])
					base += done
				}
			}
		})
	}
	b.Run("bytes.Count", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			bytes.Count(chunk, []byte{'\n'})
		}
	})
}
