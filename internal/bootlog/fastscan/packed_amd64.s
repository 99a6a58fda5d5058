//go:build !purego

#include "textflag.h"

// func packedKernelAVX2(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)
//
// packedBlocksGo in packed.go is its definition. Per block of 32
// positions: three unaligned loads (the window bytes at +0, +1 and +2),
// each split into nibbles that index their tables with VPSHUFB; the
// bucket bits left after ANDing all six lookups mark the candidates.
TEXT ·packedKernelAVX2(SB), NOSPLIT, $0-80
	MOVQ masks+0(FP), AX
	MOVQ buf_base+8(FP), SI
	MOVQ buf_len+16(FP), CX
	MOVQ out_base+32(FP), DI
	MOVQ out_len+40(FP), R8

	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3
	VMOVDQU 128(AX), Y4
	VMOVDQU 160(AX), Y5
	MOVQ    $0x0f, AX
	MOVQ    AX, X6
	VPBROADCASTB X6, Y6 // low-nibble mask
	MOVQ    $0x0a, AX
	MOVQ    AX, X7
	VPBROADCASTB X7, Y7 // '\n'
	VPXOR   Y15, Y15, Y15

	XORQ BX, BX // done
	XORQ DX, DX // newlines
	XORQ R9, R9 // n
	SUBQ $34, CX // a block at BX reads up to BX+34: BX <= len-34
	JLT  end

loop:
	CMPQ BX, CX
	JGT  end
	LEAQ 2(R9), R10
	CMPQ R10, R8
	JGT  end // no room for another candidate block

	VMOVDQU (SI)(BX*1), Y8
	VMOVDQU 1(SI)(BX*1), Y9
	VMOVDQU 2(SI)(BX*1), Y10

	VPCMPEQB  Y8, Y7, Y11
	VPMOVMSKB Y11, R11
	POPCNTL   R11, R11
	ADDQ      R11, DX

	VPSRLW  $4, Y8, Y11
	VPAND   Y6, Y8, Y8
	VPAND   Y6, Y11, Y11
	VPSHUFB Y8, Y0, Y8
	VPSHUFB Y11, Y1, Y11
	VPAND   Y8, Y11, Y12

	VPSRLW  $4, Y9, Y11
	VPAND   Y6, Y9, Y9
	VPAND   Y6, Y11, Y11
	VPSHUFB Y9, Y2, Y9
	VPSHUFB Y11, Y3, Y11
	VPAND   Y9, Y12, Y12
	VPAND   Y11, Y12, Y12

	VPSRLW  $4, Y10, Y11
	VPAND   Y6, Y10, Y10
	VPAND   Y6, Y11, Y11
	VPSHUFB Y10, Y4, Y10
	VPSHUFB Y11, Y5, Y11
	VPAND   Y10, Y12, Y12
	VPAND   Y11, Y12, Y12

	VPCMPEQB  Y15, Y12, Y12
	VPMOVMSKB Y12, R11
	NOTL      R11
	TESTL     R11, R11
	JZ        next
	MOVL      BX, (DI)(R9*4)
	MOVL      R11, 4(DI)(R9*4)
	ADDQ      $2, R9

next:
	ADDQ $32, BX
	JMP  loop

end:
	MOVQ BX, done+56(FP)
	MOVQ DX, newlines+64(FP)
	MOVQ R9, n+72(FP)
	VZEROUPPER
	RET
