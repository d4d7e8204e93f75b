//go:build !purego

#include "textflag.h"

// func maxTapsAVX2(n int, dst *float32, srcs [][]float32)
//
// dst[i] = srcs[0][i], then for each later source, dst[i] = srcs[j][i] when
// srcs[j][i] > dst[i] (VMAXPS with the new value first: on equal values, a
// zero of either sign, the earlier value stays), for i < n. n >= 8; the
// last eight values are computed again from n-8 when n is not a multiple of
// eight (the same values, as dst does not overlap the sources).
TEXT ·maxTapsAVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ srcs_base+16(FP), SI
	MOVQ srcs_len+24(FP), DX
	IMULQ $24, DX
	SHLQ $2, CX
	XORQ AX, AX
	MOVQ CX, R12
	SUBQ $64, R12

loop16:
	CMPQ AX, R12
	JGT  tail
	MOVQ (SI), R8
	VMOVUPS (R8)(AX*1), Y0
	VMOVUPS 32(R8)(AX*1), Y1
	MOVQ $24, R9

taps16:
	CMPQ R9, DX
	JGE  store16
	MOVQ (SI)(R9*1), R8
	VMOVUPS (R8)(AX*1), Y2
	VMOVUPS 32(R8)(AX*1), Y3
	VMAXPS Y0, Y2, Y0
	VMAXPS Y1, Y3, Y1
	ADDQ $24, R9
	JMP  taps16

store16:
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ $64, AX
	JMP  loop16

tail:
	CMPQ AX, CX
	JGE  done
	MOVQ CX, R12
	SUBQ $32, R12
	CMPQ AX, R12
	JLE  one8
	MOVQ R12, AX

one8:
	MOVQ (SI), R8
	VMOVUPS (R8)(AX*1), Y0
	MOVQ $24, R9

taps8:
	CMPQ R9, DX
	JGE  store8
	MOVQ (SI)(R9*1), R8
	VMOVUPS (R8)(AX*1), Y2
	VMAXPS Y0, Y2, Y0
	ADDQ $24, R9
	JMP  taps8

store8:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  tail

done:
	VZEROUPPER
	RET

// func deinterleaveAVX2(n int, x, e, o *float32) bool
//
// e[i] = x[2i], o[i] = x[2i+1] for i < n (a multiple of 8); reports whether
// any of x[0:2n] is a NaN.
TEXT ·deinterleaveAVX2(SB), NOSPLIT, $0-33
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ e+16(FP), DI
	MOVQ o+24(FP), DX
	VXORPS Y5, Y5, Y5

dloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VCMPPS  $3, Y1, Y0, Y2
	VORPS   Y2, Y5, Y5
	VSHUFPS $0x88, Y1, Y0, Y3
	VSHUFPS $0xDD, Y1, Y0, Y4
	VPERMPD $0xD8, Y3, Y3
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS Y3, (DI)
	VMOVUPS Y4, (DX)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JNZ     dloop

	VPTEST Y5, Y5
	SETNE  ret+32(FP)
	VZEROUPPER
	RET

// func hasNaNAVX2(n int, x *float32) bool
//
// Reports whether any of x[0:n] (n a multiple of 16) is a NaN.
TEXT ·hasNaNAVX2(SB), NOSPLIT, $0-17
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	VXORPS Y5, Y5, Y5

nloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VCMPPS  $3, Y1, Y0, Y2
	VORPS   Y2, Y5, Y5
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     nloop

	VPTEST Y5, Y5
	SETNE  ret+16(FP)
	VZEROUPPER
	RET
