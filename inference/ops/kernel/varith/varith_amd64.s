//go:build !purego

#include "textflag.h"

// Each function dispatches on op (0 Add, 1 Sub, 2 Mul, 3 Div; see Op) to
// one loop of n/W vectors, W = 16 (AVX-512) or 8 (AVX2). Operand order:
// INSTR src2, src1, dst computes dst = src1 op src2, and src1 is always
// the left operand (a, or the scalar s in sv).

// VVLOOP: d = a op b. SI a, DI b, DX d, CX count, R lanes in bytes.
#define VVLOOP(INSTR, REG0, REG1, BYTES, W, L) \
L: \
	VMOVUPS (SI), REG0 \
	INSTR   (DI), REG0, REG1 \
	VMOVUPS REG1, (DX) \
	ADDQ    $BYTES, SI \
	ADDQ    $BYTES, DI \
	ADDQ    $BYTES, DX \
	SUBQ    $W, CX \
	JNZ     L \
	VZEROUPPER \
	RET

// VSLOOP: d = a op s. SI a, DX d, REGS the broadcast scalar.
#define VSLOOP(INSTR, REG0, REG1, REGS, BYTES, W, L) \
L: \
	VMOVUPS (SI), REG0 \
	INSTR   REGS, REG0, REG1 \
	VMOVUPS REG1, (DX) \
	ADDQ    $BYTES, SI \
	ADDQ    $BYTES, DX \
	SUBQ    $W, CX \
	JNZ     L \
	VZEROUPPER \
	RET

// SVLOOP: d = s op b. DI b, DX d, REGS the broadcast scalar.
#define SVLOOP(INSTR, REG0, REG1, REGS, BYTES, W, L) \
L: \
	VMOVUPS (DI), REG0 \
	INSTR   REG0, REGS, REG1 \
	VMOVUPS REG1, (DX) \
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

// The three functions of one width: VVFUNC(name, ...) and so on, each
// with its own loop labels.
#define VVFUNC(NAME, REG0, REG1, BYTES, W, LADD, LSUB, LMUL, LDIV) \
TEXT NAME(SB), NOSPLIT, $0-40 \
	MOVQ op+0(FP), AX \
	MOVQ n+8(FP), CX \
	MOVQ d+16(FP), DX \
	MOVQ a+24(FP), SI \
	MOVQ b+32(FP), DI \
	DISPATCH(LADD, LSUB, LMUL, LDIV) \
	VVLOOP(VADDPS, REG0, REG1, BYTES, W, LADD) \
	VVLOOP(VSUBPS, REG0, REG1, BYTES, W, LSUB) \
	VVLOOP(VMULPS, REG0, REG1, BYTES, W, LMUL) \
	VVLOOP(VDIVPS, REG0, REG1, BYTES, W, LDIV)

#define VSFUNC(NAME, REG0, REG1, REGS, BYTES, W, LADD, LSUB, LMUL, LDIV) \
TEXT NAME(SB), NOSPLIT, $0-36 \
	MOVQ op+0(FP), AX \
	MOVQ n+8(FP), CX \
	MOVQ d+16(FP), DX \
	MOVQ a+24(FP), SI \
	VBROADCASTSS s+32(FP), REGS \
	DISPATCH(LADD, LSUB, LMUL, LDIV) \
	VSLOOP(VADDPS, REG0, REG1, REGS, BYTES, W, LADD) \
	VSLOOP(VSUBPS, REG0, REG1, REGS, BYTES, W, LSUB) \
	VSLOOP(VMULPS, REG0, REG1, REGS, BYTES, W, LMUL) \
	VSLOOP(VDIVPS, REG0, REG1, REGS, BYTES, W, LDIV)

#define SVFUNC(NAME, REG0, REG1, REGS, BYTES, W, LADD, LSUB, LMUL, LDIV) \
TEXT NAME(SB), NOSPLIT, $0-40 \
	MOVQ op+0(FP), AX \
	MOVQ n+8(FP), CX \
	MOVQ d+16(FP), DX \
	VBROADCASTSS s+24(FP), REGS \
	MOVQ b+32(FP), DI \
	DISPATCH(LADD, LSUB, LMUL, LDIV) \
	SVLOOP(VADDPS, REG0, REG1, REGS, BYTES, W, LADD) \
	SVLOOP(VSUBPS, REG0, REG1, REGS, BYTES, W, LSUB) \
	SVLOOP(VMULPS, REG0, REG1, REGS, BYTES, W, LMUL) \
	SVLOOP(VDIVPS, REG0, REG1, REGS, BYTES, W, LDIV)

// func vvAVX512(op Op, n int, d, a, b *float32)
VVFUNC(·vvAVX512, Z0, Z1, 64, 16, vv512add, vv512sub, vv512mul, vv512div)

// func vsAVX512(op Op, n int, d, a *float32, s float32)
VSFUNC(·vsAVX512, Z0, Z1, Z2, 64, 16, vs512add, vs512sub, vs512mul, vs512div)

// func svAVX512(op Op, n int, d *float32, s float32, b *float32)
SVFUNC(·svAVX512, Z0, Z1, Z2, 64, 16, sv512add, sv512sub, sv512mul, sv512div)

// func vvAVX2(op Op, n int, d, a, b *float32)
VVFUNC(·vvAVX2, Y0, Y1, 32, 8, vv2add, vv2sub, vv2mul, vv2div)

// func vsAVX2(op Op, n int, d, a *float32, s float32)
VSFUNC(·vsAVX2, Y0, Y1, Y2, 32, 8, vs2add, vs2sub, vs2mul, vs2div)

// func svAVX2(op Op, n int, d *float32, s float32, b *float32)
SVFUNC(·svAVX2, Y0, Y1, Y2, 32, 8, sv2add, sv2sub, sv2mul, sv2div)
