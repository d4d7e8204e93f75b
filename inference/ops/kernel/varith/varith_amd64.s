//go:build !purego

#include "textflag.h"

// Each function dispatches on op (0 Add, 1 Sub, 2 Mul, 3 Div; see Op) to
// one loop of n/W vectors, W = 16 (AVX-512) or 8 (AVX2). Operand order:
// INSTR src2, src1, dst computes dst = src1 op src2, and src1 is always
// the left operand (a, or the scalar s in sv).

// LOOP: d = src1 op src2 over W lanes at a time, loading a vector from SI
// into REG0 and advancing SI, DI (the memory operand of VV; unused by VS
// and SV) and DX (d); CX counts the lanes left.
#define LOOP(INSTR, SRC2, SRC1, REG0, REG1, BYTES, W, L) \
L: \
	VMOVUPS (SI), REG0 \
	INSTR   SRC2, SRC1, REG1 \
	VMOVUPS REG1, (DX) \
	ADDQ    $BYTES, SI \
	ADDQ    $BYTES, DI \
	ADDQ    $BYTES, DX \
	SUBQ    $W, CX \
	JNZ     L \
	VZEROUPPER \
	RET

// DISPATCH jumps to the loop of op (in AX).
#define DISPATCH(LADD, LSUB, LMUL, LDIV) \
	CMPQ AX, $1 \
	JEQ  LSUB \
	CMPQ AX, $2 \
	JEQ  LMUL \
	CMPQ AX, $3 \
	JEQ  LDIV \
	JMP  LADD

// LOOPS dispatches on op to the four loops of LOOP, each with its own
// label.
#define LOOPS(SRC2, SRC1, REG0, REG1, BYTES, W, LADD, LSUB, LMUL, LDIV) \
	DISPATCH(LADD, LSUB, LMUL, LDIV) \
	LOOP(VADDPS, SRC2, SRC1, REG0, REG1, BYTES, W, LADD) \
	LOOP(VSUBPS, SRC2, SRC1, REG0, REG1, BYTES, W, LSUB) \
	LOOP(VMULPS, SRC2, SRC1, REG0, REG1, BYTES, W, LMUL) \
	LOOP(VDIVPS, SRC2, SRC1, REG0, REG1, BYTES, W, LDIV)

// VVFUNC(name, ...) defines d = a op b: a from SI into REG0, b from memory
// at DI.
#define VVFUNC(NAME, REG0, REG1, BYTES, W, LADD, LSUB, LMUL, LDIV) \
TEXT NAME(SB), NOSPLIT, $0-40 \
	MOVQ op+0(FP), AX \
	MOVQ n+8(FP), CX \
	MOVQ d+16(FP), DX \
	MOVQ a+24(FP), SI \
	MOVQ b+32(FP), DI \
	LOOPS((DI), REG0, REG0, REG1, BYTES, W, LADD, LSUB, LMUL, LDIV)

// XSFUNC(name, SRC2, SRC1, ...) defines the vector-scalar forms, with the
// vector x from SI in REG0 and the broadcast scalar s in REGS: VS (d = a
// op s) with SRC2 REGS and SRC1 REG0, SV (d = s op b) the other way round.
#define XSFUNC(NAME, SRC2, SRC1, REG0, REG1, REGS, BYTES, W, LADD, LSUB, LMUL, LDIV) \
TEXT NAME(SB), NOSPLIT, $0-36 \
	MOVQ op+0(FP), AX \
	MOVQ n+8(FP), CX \
	MOVQ d+16(FP), DX \
	MOVQ x+24(FP), SI \
	VBROADCASTSS s+32(FP), REGS \
	LOOPS(SRC2, SRC1, REG0, REG1, BYTES, W, LADD, LSUB, LMUL, LDIV)

// func vvAVX512(op Op, n int, d, a, b *float32)
VVFUNC(·vvAVX512, Z0, Z1, 64, 16, vv512add, vv512sub, vv512mul, vv512div)

// func vsAVX512(op Op, n int, d, x *float32, s float32)
XSFUNC(·vsAVX512, Z2, Z0, Z0, Z1, Z2, 64, 16, vs512add, vs512sub, vs512mul, vs512div)

// func svAVX512(op Op, n int, d, x *float32, s float32)
XSFUNC(·svAVX512, Z0, Z2, Z0, Z1, Z2, 64, 16, sv512add, sv512sub, sv512mul, sv512div)

// func vvAVX2(op Op, n int, d, a, b *float32)
VVFUNC(·vvAVX2, Y0, Y1, 32, 8, vv2add, vv2sub, vv2mul, vv2div)

// func vsAVX2(op Op, n int, d, x *float32, s float32)
XSFUNC(·vsAVX2, Y2, Y0, Y0, Y1, Y2, 32, 8, vs2add, vs2sub, vs2mul, vs2div)

// func svAVX2(op Op, n int, d, x *float32, s float32)
XSFUNC(·svAVX2, Y0, Y2, Y0, Y1, Y2, 32, 8, sv2add, sv2sub, sv2mul, sv2div)
