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

// func vvAVX512(op Op, n int, d, a, b *float32)
TEXT ·vvAVX512(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	MOVQ a+24(FP), SI
	MOVQ b+32(FP), DI
	DISPATCH(vv512add, vv512sub, vv512mul, vv512div)
	VVLOOP(VADDPS, Z0, Z1, 64, 16, vv512add)
	VVLOOP(VSUBPS, Z0, Z1, 64, 16, vv512sub)
	VVLOOP(VMULPS, Z0, Z1, 64, 16, vv512mul)
	VVLOOP(VDIVPS, Z0, Z1, 64, 16, vv512div)

// func vsAVX512(op Op, n int, d, a *float32, s float32)
TEXT ·vsAVX512(SB), NOSPLIT, $0-36
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	MOVQ a+24(FP), SI
	VBROADCASTSS s+32(FP), Z2
	DISPATCH(vs512add, vs512sub, vs512mul, vs512div)
	VSLOOP(VADDPS, Z0, Z1, Z2, 64, 16, vs512add)
	VSLOOP(VSUBPS, Z0, Z1, Z2, 64, 16, vs512sub)
	VSLOOP(VMULPS, Z0, Z1, Z2, 64, 16, vs512mul)
	VSLOOP(VDIVPS, Z0, Z1, Z2, 64, 16, vs512div)

// func svAVX512(op Op, n int, d *float32, s float32, b *float32)
TEXT ·svAVX512(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	VBROADCASTSS s+24(FP), Z2
	MOVQ b+32(FP), DI
	DISPATCH(sv512add, sv512sub, sv512mul, sv512div)
	SVLOOP(VADDPS, Z0, Z1, Z2, 64, 16, sv512add)
	SVLOOP(VSUBPS, Z0, Z1, Z2, 64, 16, sv512sub)
	SVLOOP(VMULPS, Z0, Z1, Z2, 64, 16, sv512mul)
	SVLOOP(VDIVPS, Z0, Z1, Z2, 64, 16, sv512div)

// func vvAVX2(op Op, n int, d, a, b *float32)
TEXT ·vvAVX2(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	MOVQ a+24(FP), SI
	MOVQ b+32(FP), DI
	DISPATCH(vv2add, vv2sub, vv2mul, vv2div)
	VVLOOP(VADDPS, Y0, Y1, 32, 8, vv2add)
	VVLOOP(VSUBPS, Y0, Y1, 32, 8, vv2sub)
	VVLOOP(VMULPS, Y0, Y1, 32, 8, vv2mul)
	VVLOOP(VDIVPS, Y0, Y1, 32, 8, vv2div)

// func vsAVX2(op Op, n int, d, a *float32, s float32)
TEXT ·vsAVX2(SB), NOSPLIT, $0-36
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	MOVQ a+24(FP), SI
	VBROADCASTSS s+32(FP), Y2
	DISPATCH(vs2add, vs2sub, vs2mul, vs2div)
	VSLOOP(VADDPS, Y0, Y1, Y2, 32, 8, vs2add)
	VSLOOP(VSUBPS, Y0, Y1, Y2, 32, 8, vs2sub)
	VSLOOP(VMULPS, Y0, Y1, Y2, 32, 8, vs2mul)
	VSLOOP(VDIVPS, Y0, Y1, Y2, 32, 8, vs2div)

// func svAVX2(op Op, n int, d *float32, s float32, b *float32)
TEXT ·svAVX2(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ n+8(FP), CX
	MOVQ d+16(FP), DX
	VBROADCASTSS s+24(FP), Y2
	MOVQ b+32(FP), DI
	DISPATCH(sv2add, sv2sub, sv2mul, sv2div)
	SVLOOP(VADDPS, Y0, Y1, Y2, 32, 8, sv2add)
	SVLOOP(VSUBPS, Y0, Y1, Y2, 32, 8, sv2sub)
	SVLOOP(VMULPS, Y0, Y1, Y2, 32, 8, sv2mul)
	SVLOOP(VDIVPS, Y0, Y1, Y2, 32, 8, sv2div)
