//go:build !purego

package fastscan

import "golang.org/x/sys/cpu"

//go:noescape
func packedKernelAVX2(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT {
		packedKernel = packedKernelAVX2
	}
}
