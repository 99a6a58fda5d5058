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

// func packedKernelAVX512(masks *packedMasks, buf []byte, out []uint32) (done, newlines, n int)
//
// packedKernelAVX2 on 64 positions at a time, with three-way ANDs: it
// stops where fewer than 66 bytes are left or out has no room for two
// more blocks, and packedKernelWide goes on from there with the AVX2
// kernel, so together they are packedBlocksGo.
TEXT ·packedKernelAVX512(SB), NOSPLIT, $0-80
	MOVQ masks+0(FP), AX
	MOVQ buf_base+8(FP), SI
	MOVQ buf_len+16(FP), CX
	MOVQ out_base+32(FP), DI
	MOVQ out_len+40(FP), R8

	VBROADCASTI32X4 0(AX), Z0
	VBROADCASTI32X4 32(AX), Z1
	VBROADCASTI32X4 64(AX), Z2
	VBROADCASTI32X4 96(AX), Z3
	VBROADCASTI32X4 128(AX), Z4
	VBROADCASTI32X4 160(AX), Z5
	MOVQ            $0x0f, AX
	MOVQ            AX, X6
	VPBROADCASTB    X6, Z6 // low-nibble mask
	MOVQ            $0x0a, AX
	MOVQ            AX, X7
	VPBROADCASTB    X7, Z7 // '\n'

	XORQ BX, BX // done
	XORQ DX, DX // newlines
	XORQ R9, R9 // n
	SUBQ $66, CX // a step at BX reads up to BX+66: BX <= len-66
	JLT  end

loop:
	CMPQ BX, CX
	JGT  end
	LEAQ 4(R9), R10
	CMPQ R10, R8
	JGT  end // no room for two more candidate blocks

	VMOVDQU8 (SI)(BX*1), Z8
	VMOVDQU8 1(SI)(BX*1), Z9
	VMOVDQU8 2(SI)(BX*1), Z10

	VPCMPEQB Z8, Z7, K1
	KMOVQ    K1, R11
	POPCNTQ  R11, R11
	ADDQ     R11, DX

	VPSRLW  $4, Z8, Z11
	VPANDQ  Z6, Z8, Z8
	VPANDQ  Z6, Z11, Z11
	VPSHUFB Z8, Z0, Z8
	VPSHUFB Z11, Z1, Z11

	VPSRLW     $4, Z9, Z12
	VPANDQ     Z6, Z9, Z9
	VPANDQ     Z6, Z12, Z12
	VPSHUFB    Z9, Z2, Z9
	VPSHUFB    Z12, Z3, Z12
	VPTERNLOGD $0x80, Z9, Z11, Z8 // Z8 &= Z11 & Z9

	VPSRLW     $4, Z10, Z13
	VPANDQ     Z6, Z10, Z10
	VPANDQ     Z6, Z13, Z13
	VPSHUFB    Z10, Z4, Z10
	VPSHUFB    Z13, Z5, Z13
	VPTERNLOGD $0x80, Z10, Z12, Z8 // Z8 &= Z12 & Z10
	VPTESTMB   Z13, Z8, K2         // bucket bits left at a position: a candidate

	KMOVQ K2, R11
	TESTQ R11, R11
	JZ    next
	TESTL R11, R11
	JZ    high
	MOVL  BX, (DI)(R9*4)
	MOVL  R11, 4(DI)(R9*4)
	ADDQ  $2, R9

high:
	SHRQ $32, R11
	JZ   next
	LEAQ 32(BX), R12
	MOVL R12, (DI)(R9*4)
	MOVL R11, 4(DI)(R9*4)
	ADDQ $2, R9

next:
	ADDQ $64, BX
	JMP  loop

end:
	MOVQ BX, done+56(FP)
	MOVQ DX, newlines+64(FP)
	MOVQ R9, n+72(FP)
	VZEROUPPER
	RET
