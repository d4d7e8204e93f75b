//go:build !purego

#include "textflag.h"

// The row kernels of Epilogue.Apply and AddApply (see rowKernel in
// epilogue.go): func xxxAVX2(n int, dst, add *float32, s, lo, hi float32)
// and xxxAVX512(...) set, for i < n,
//
//	dst[i] = min(hi, max(lo, (dst[i] + s) + add[i]))
//
// with the sum with s only in the s and sv kernels and the sum with add[i]
// only in the v and sv kernels. Each sum is one VADDPS with dst[i] as its
// first source, as the Go loops compute it (a sum of two NaNs keeps
// dst[i]'s). VMAXPS and VMINPS return their second source when either
// source is NaN or both are zeros, so with v second, max(lo, v) is
// "v < lo ? lo : v" and min(hi, v) is "v > hi ? hi : v" exactly: NaN and
// -0 pass unchanged, and lo = -Inf, hi = +Inf change nothing.
//
// Each kernel is the macro FUNC over the width-specific names below,
// instantiated for AVX2 (Y registers, 8 lanes, VMASKMOVPS for the last
// n%8 elements) and for AVX-512 (Z registers, 16 lanes, the last n%16
// elements under the mask K1).

// tailMask is 8 all-ones words and 8 zero words: the 8 words at
// tailMask+32-4r are the AVX2 mask of the first r lanes.
DATA tailMask<>+0(SB)/8, $0xffffffffffffffff
DATA tailMask<>+8(SB)/8, $0xffffffffffffffff
DATA tailMask<>+16(SB)/8, $0xffffffffffffffff
DATA tailMask<>+24(SB)/8, $0xffffffffffffffff
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// The steps FUNC takes: the sum with s, the sum with add[i] from memory in
// the main loop and in the tail, or nothing.
#define NOSTEP
#define SSTEP VADDPS S, D, D
#define VSTEP VADDPS (SI), D, D
#define VSTEPT LOADT(SI, T); VADDPS T, D, D

// FUNC defines name with the steps SUM1 (NOSTEP or SSTEP) and SUM2 in the
// main loop (NOSTEP or VSTEP) and SUM2T in the tail (NOSTEP or VSTEPT).
#define FUNC(name, SUM1, SUM2, SUM2T) \
	TEXT name(SB), NOSPLIT, $0-36; \
	MOVQ         n+0(FP), CX; \
	MOVQ         dst+8(FP), DI; \
	MOVQ         add+16(FP), SI; \
	VBROADCASTSS s+24(FP), S; \
	VBROADCASTSS lo+28(FP), LO; \
	VBROADCASTSS hi+32(FP), HI; \
	CMPQ         CX, $W; \
	JLT          tail; \
loop: \
	VMOVUPS (DI), D; \
	SUM1; \
	SUM2; \
	VMAXPS  D, LO, D; \
	VMINPS  D, HI, D; \
	VMOVUPS D, (DI); \
	ADDQ    $(W*4), DI; \
	ADDQ    $(W*4), SI; \
	SUBQ    $W, CX; \
	CMPQ    CX, $W; \
	JGE     loop; \
tail: \
	TESTQ    CX, CX; \
	JZ       done; \
	TAILMASK; \
	LOADT(DI, D); \
	SUM1; \
	SUM2T; \
	VMAXPS   D, LO, D; \
	VMINPS   D, HI, D; \
	STORET(D, DI); \
done: \
	VZEROUPPER; \
	RET

// AVX2: Y registers; the tail mask in Y5 from tailMask (AX, DX scratch).
#define W 8
#define D Y0
#define S Y1
#define LO Y2
#define HI Y3
#define T Y4
#define TAILMASK \
	LEAQ    tailMask<>+32(SB), AX; \
	MOVQ    CX, DX; \
	SHLQ    $2, DX; \
	SUBQ    DX, AX; \
	VMOVUPS (AX), Y5
#define LOADT(p, r) VMASKMOVPS (p), Y5, r
#define STORET(r, p) VMASKMOVPS r, Y5, (p)

FUNC(·clampAVX2, NOSTEP, NOSTEP, NOSTEP)
FUNC(·sClampAVX2, SSTEP, NOSTEP, NOSTEP)
FUNC(·vClampAVX2, NOSTEP, VSTEP, VSTEPT)
FUNC(·svClampAVX2, SSTEP, VSTEP, VSTEPT)

#undef W
#undef D
#undef S
#undef LO
#undef HI
#undef T
#undef TAILMASK
#undef LOADT
#undef STORET

// AVX-512F: Z registers; the tail mask K1 = 1<<n - 1 (AX scratch), masked
// loads with zeroing (which do not touch memory past the row).
#define W 16
#define D Z0
#define S Z1
#define LO Z2
#define HI Z3
#define T Z4
#define TAILMASK \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1
#define LOADT(p, r) VMOVUPS.Z (p), K1, r
#define STORET(r, p) VMOVUPS r, K1, (p)

FUNC(·clampAVX512, NOSTEP, NOSTEP, NOSTEP)
FUNC(·sClampAVX512, SSTEP, NOSTEP, NOSTEP)
FUNC(·vClampAVX512, NOSTEP, VSTEP, VSTEPT)
FUNC(·svClampAVX512, SSTEP, VSTEP, VSTEPT)
