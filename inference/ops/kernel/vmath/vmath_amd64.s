//go:build !purego

#include "textflag.h"

// The kernels repeat the Go definitions in scalar.go lane by lane, one
// instruction per Go operation (fma32 is one VFMADD/VFNMADD/VFMSUB), so
// they give the same bits. Each function is written once as a macro over the
// register names R0-R8, the mask MK and the width-specific operations
// BLEND, ANDV and ORV, then instantiated for AVX2 (Y registers, 8 lanes)
// and for AVX-512 (Z registers and K1, 16 lanes).
//
// func xxxAVX2(n int, dst, src *float32), func xxxAVX512(...): dst[i] =
// f(src[i]) for i < n; n > 0 is a multiple of the width. dst may be src.

// C16 defines a constant as 16 copies, so that a 32-byte (Y) or a 64-byte
// (Z) memory operand reads it.
#define C16(name, bits) \
	DATA name<>+0(SB)/4, bits; DATA name<>+4(SB)/4, bits; \
	DATA name<>+8(SB)/4, bits; DATA name<>+12(SB)/4, bits; \
	DATA name<>+16(SB)/4, bits; DATA name<>+20(SB)/4, bits; \
	DATA name<>+24(SB)/4, bits; DATA name<>+28(SB)/4, bits; \
	DATA name<>+32(SB)/4, bits; DATA name<>+36(SB)/4, bits; \
	DATA name<>+40(SB)/4, bits; DATA name<>+44(SB)/4, bits; \
	DATA name<>+48(SB)/4, bits; DATA name<>+52(SB)/4, bits; \
	DATA name<>+56(SB)/4, bits; DATA name<>+60(SB)/4, bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $64

// The constants of scalar.go, as bits.
C16(expLo, $0xc2d00000)
C16(expHi, $0x42b20000)
C16(log2e, $0x3fb8aa3b)
C16(shifter, $0x4b400000)
C16(ln2Hi, $0x3f317218)
C16(ln2Lo, $0xb102e308)
C16(expP5, $0x39506967)
C16(expP4, $0x3ab743ce)
C16(expP3, $0x3c088908)
C16(expP2, $0x3d2aa9c1)
C16(expP1, $0x3e2aaaaa)
C16(expP0, $0x3f000000)
C16(expBias, $0x0000007f)
C16(one, $0x3f800000)
C16(two, $0x40000000)
C16(zero, $0x00000000)
C16(signBit, $0x80000000)
C16(absMask, $0x7fffffff)
C16(quietNaN, $0x00400000)
C16(tanhThr, $0x3f200000)
C16(tanhP4, $0xbbbaf0ea)
C16(tanhP3, $0x3ca9134e)
C16(tanhP2, $0xbd5c1e2d)
C16(tanhP1, $0x3e088393)
C16(tanhP0, $0xbeaaaa99)
C16(erfThr, $0x3f6d8000)
C16(erfMax, $0x40800000)
C16(erfS5, $0xba1cb2ce)
C16(erfS4, $0x3ba38abc)
C16(erfS3, $0xbcdb42fd)
C16(erfS2, $0x3de70d13)
C16(erfS1, $0xbec09372)
C16(erfS0, $0x3e0375d3)
C16(erfB7, $0xb7910000)
C16(erfB6, $0x39c8e7d9)
C16(erfB5, $0xbb7e8a1c)
C16(erfB4, $0x3cc6b1a1)
C16(erfB3, $0xbddaae5c)
C16(erfB2, $0xbf228550)
C16(erfB1, $0xbe03ce86)

// POLY6 sets p = ((((c5·x + c4)·x + c3)·x + c2)·x + c1)·x + c0, one fused
// multiply-add a step (Horner's rule, as fma32 in scalar.go).
#define POLY6(x, p, c5, c4, c3, c2, c1, c0) \
	VMOVUPS     c5<>(SB), p; \
	VFMADD213PS c4<>(SB), x, p; \
	VFMADD213PS c3<>(SB), x, p; \
	VFMADD213PS c2<>(SB), x, p; \
	VFMADD213PS c1<>(SB), x, p; \
	VFMADD213PS c0<>(SB), x, p

// EXPCORE sets out = expCore(x) (scalar.go); x is kept, n, t, u are
// scratch.
#define EXPCORE(x, out, n, t, u) \
	VMAXPS       expLo<>(SB), x, t; \
	VMINPS       expHi<>(SB), t, t; \
	VMOVUPS      shifter<>(SB), n; \
	VFMADD231PS  log2e<>(SB), t, n; \
	VSUBPS       shifter<>(SB), n, n; \
	VFNMADD231PS ln2Hi<>(SB), n, t; \
	VFNMADD231PS ln2Lo<>(SB), n, t; \
	POLY6(t, out, expP5, expP4, expP3, expP2, expP1, expP0); \
	VFMADD213PS  one<>(SB), t, out; \
	VFMADD213PS  one<>(SB), t, out; \
	VCVTPS2DQ    n, n; \
	VPSRAD       $1, n, u; \
	VPSUBD       u, n, n; \
	VPADDD       expBias<>(SB), u, u; \
	VPSLLD       $23, u, u; \
	VPADDD       expBias<>(SB), n, n; \
	VPSLLD       $23, n, n; \
	VMULPS       u, out, out; \
	VMULPS       n, out, out

// NANFIX sets the lanes of res where x is NaN to x with its quiet bit set.
#define NANFIX(x, res, tmp) \
	VCMPPS $3, x, x, MK; \
	ORV    quietNaN<>(SB), x, tmp; \
	BLEND(MK, tmp, res, res)

// The bodies: the argument in R0, the result in R3.

#define EXP_BODY \
	EXPCORE(R0, R3, R1, R2, R4); \
	NANFIX(R0, R3, R1)

// SIGMOIDCORE is sigmoidCore: (x < 0 ? e : 1) / (1 + e), e = exp(-|x|).
#define SIGMOIDCORE \
	ORV     signBit<>(SB), R0, R1; \
	EXPCORE(R1, R3, R2, R4, R5); \
	VADDPS  one<>(SB), R3, R6; \
	VMOVUPS one<>(SB), R7; \
	VCMPPS  $1, zero<>(SB), R0, MK; \
	BLEND(MK, R3, R7, R7); \
	VDIVPS  R6, R7, R3

#define SIGMOID_BODY \
	SIGMOIDCORE; \
	NANFIX(R0, R3, R1)

#define SILU_BODY \
	SIGMOIDCORE; \
	VMULPS R0, R3, R3; \
	NANFIX(R0, R3, R1)

// ODDEND ends the odd functions tanh and erf, with |x| in R1: R3 = (|x|
// pred thr ? near : far) with the sign of x (R0), NaNs fixed. pred is
// VCMPPS's predicate ($1 <, $2 <=).
#define ODDEND(pred, thr, near, far) \
	VCMPPS pred, thr<>(SB), R1, MK; \
	BLEND(MK, near, far, R3); \
	ANDV   signBit<>(SB), R0, R2; \
	ORV    R2, R3, R3; \
	NANFIX(R0, R3, R1)

#define TANH_BODY \
	ANDV        absMask<>(SB), R0, R1; \
	VADDPS      R1, R1, R2; \
	EXPCORE(R2, R3, R4, R5, R6); \
	VADDPS      one<>(SB), R3, R3; \
	VMOVUPS     two<>(SB), R4; \
	VDIVPS      R3, R4, R4; \
	VMOVUPS     one<>(SB), R5; \
	VSUBPS      R4, R5, R5; \
	VMULPS      R1, R1, R2; \
	VMOVUPS     tanhP4<>(SB), R6; \
	VFMADD213PS tanhP3<>(SB), R2, R6; \
	VFMADD213PS tanhP2<>(SB), R2, R6; \
	VFMADD213PS tanhP1<>(SB), R2, R6; \
	VFMADD213PS tanhP0<>(SB), R2, R6; \
	VMULPS      R2, R6, R6; \
	VFMADD213PS R1, R1, R6; \
	ODDEND($1, tanhThr, R6, R5)

#define ERF_BODY \
	ANDV        absMask<>(SB), R0, R1; \
	VMULPS      R1, R1, R2; \
	POLY6(R2, R3, erfS5, erfS4, erfS3, erfS2, erfS1, erfS0); \
	VFMADD213PS R1, R1, R3; \
	VMINPS      erfMax<>(SB), R1, R2; \
	VMULPS      R2, R2, R4; \
	VMOVUPS     erfB7<>(SB), R5; \
	VFMADD213PS erfB6<>(SB), R2, R5; \
	VMOVUPS     erfB5<>(SB), R6; \
	VFMADD213PS erfB4<>(SB), R2, R6; \
	VFMADD213PS R6, R4, R5; \
	VFMADD213PS erfB3<>(SB), R2, R5; \
	VFMADD213PS erfB2<>(SB), R2, R5; \
	VFMADD213PS erfB1<>(SB), R2, R5; \
	VFMSUB213PS R2, R2, R5; \
	EXPCORE(R5, R6, R4, R7, R8); \
	VMOVUPS     one<>(SB), R7; \
	VSUBPS      R6, R7, R7; \
	ODDEND($2, erfThr, R3, R7)

// FUNC defines name(n int, dst, src *float32) that applies BODY to W lanes
// at a time.
#define FUNC(name, W, BODY) \
	TEXT name(SB), NOSPLIT, $0-24; \
	MOVQ n+0(FP), CX; \
	MOVQ dst+8(FP), DI; \
	MOVQ src+16(FP), SI; \
loop: \
	VMOVUPS (SI), R0; \
	BODY; \
	VMOVUPS R3, (DI); \
	ADDQ    $(W*4), SI; \
	ADDQ    $(W*4), DI; \
	SUBQ    $W, CX; \
	JNZ     loop; \
	VZEROUPPER; \
	RET

// AVX2 and FMA: Y registers, masks in Y15.
#define R0 Y0
#define R1 Y1
#define R2 Y2
#define R3 Y3
#define R4 Y4
#define R5 Y5
#define R6 Y6
#define R7 Y7
#define R8 Y8
#define MK Y15
#define BLEND(m, a, b, d) VBLENDVPS m, a, b, d
#define ANDV VANDPS
#define ORV VORPS

FUNC(·expAVX2, 8, EXP_BODY)
FUNC(·sigmoidAVX2, 8, SIGMOID_BODY)
FUNC(·siluAVX2, 8, SILU_BODY)
FUNC(·tanhAVX2, 8, TANH_BODY)
FUNC(·erfAVX2, 8, ERF_BODY)

#undef R0
#undef R1
#undef R2
#undef R3
#undef R4
#undef R5
#undef R6
#undef R7
#undef R8
#undef MK
#undef BLEND
#undef ANDV
#undef ORV

// AVX-512F: Z registers, masks in K1.
#define R0 Z0
#define R1 Z1
#define R2 Z2
#define R3 Z3
#define R4 Z4
#define R5 Z5
#define R6 Z6
#define R7 Z7
#define R8 Z8
#define MK K1
#define BLEND(m, a, b, d) VBLENDMPS a, b, m, d
#define ANDV VPANDD
#define ORV VPORD

FUNC(·expAVX512, 16, EXP_BODY)
FUNC(·sigmoidAVX512, 16, SIGMOID_BODY)
FUNC(·siluAVX512, 16, SILU_BODY)
FUNC(·tanhAVX512, 16, TANH_BODY)
FUNC(·erfAVX512, 16, ERF_BODY)
