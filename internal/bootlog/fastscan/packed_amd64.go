//go:build !purego

package fastscan

import "golang.org/x/sys/cpu"

//go:noescape
func packedKernelAVX2(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)

//go:noescape
func packedKernelAVX512(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)

// packedKernelWide is packedKernelAVX512, then packedKernelAVX2 for the
// last block and for blocks when out has room for one more only.
func packedKernelWide(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int) {
	done, newlines, n = packedKernelAVX512(masks, buf, out)
	d, nl, m := packedKernelAVX2(masks, buf[done:], out[n:])
	for i := n; i < n+m; i += 2 {
		out[i] += uint32(done)
	}
	return done + d, newlines + nl, n + m
}

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasPOPCNT {
		return
	}
	packedKernel = packedKernelAVX2
	vectorKernels["avx2"] = packedKernelAVX2
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW {
		// Twice the positions an instruction; on CPUs that run 512-bit
		// vectors at full width, nearly twice as fast.
		packedKernel = packedKernelWide
		vectorKernels["avx512"] = packedKernelWide
	}
}
