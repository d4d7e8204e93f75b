//go:build !purego

#include "textflag.h"

// func evensAVX2(n int, x, e *float32)
//
// e[i] = x[2i] for i < n (a multiple of 8), reading x[0:2n].
TEXT ·evensAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ e+16(FP), DI

eloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y3
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     eloop

	VZEROUPPER
	RET
