//go:build !purego

#include "textflag.h"

// The depthwise kernels compute a plane of output rows. For output row i
// (dst advancing by ow values per row) and each output vector, the
// accumulator starts at the bias; for each tap row r in
// rows[rowStart[i]:rowStart[i+1]] and each tap column tc < kw, it adds
// w[r.woff+tc] * src[r.off+cols[tc]+j] at column j, the product rounded
// before the sum (VMULPS then VADDPS, no fused multiply-add). The nfull
// vectors from column full0 add every tap in every lane; the vectors at
// edges[e] add tap tc only in the lanes of its mask and store the lanes of
// mask kw (see dwPlan). Masked-off lanes are neither loaded nor added.
//
// Registers: DI output row, R8 &rowStart[i], R10 end of its tap rows, R11
// tap row, R12 tap column, R13 cols, SI input at the vector (without
// cols[tc]), DX the tap row's weights, BX vector column in bytes (full) or
// masks of the edge vector, CX full vectors left or &edges[e], R9 mask of
// the tap column (AVX2), AX scratch.

// func dwPlaneAVX512(dst, src, w *float32, bias float32, rows *dwTapRow, rowStart *int, nout, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)
TEXT ·dwPlaneAVX512(SB), NOSPLIT, $0-121
	VBROADCASTSS bias+24(FP), Z31
	MOVQ         dst+0(FP), DI
	MOVQ         rowStart+40(FP), R8
	MOVQ         cols+64(FP), R13

row512:
	MOVQ nout+48(FP), AX
	SHLQ $3, AX
	ADDQ rowStart+40(FP), AX
	CMPQ R8, AX
	JEQ  done512
	MOVQ 8(R8), R10
	SHLQ $4, R10
	ADDQ rows+32(FP), R10
	MOVQ full0+80(FP), BX
	SHLQ $2, BX
	MOVQ nfull+88(FP), CX

full4_512:
	CMPQ    CX, $4
	JLT     full1_512
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

f4row512:
	CMPQ R11, R10
	JEQ  f4store512
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  f4tap512p

f4tap512:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS       (SI)(AX*4), Z4, Z5
	VMULPS       64(SI)(AX*4), Z4, Z6
	VMULPS       128(SI)(AX*4), Z4, Z7
	VMULPS       192(SI)(AX*4), Z4, Z8
	VADDPS       Z5, Z0, Z0
	VADDPS       Z6, Z1, Z1
	VADDPS       Z7, Z2, Z2
	VADDPS       Z8, Z3, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f4tap512
	ADDQ         $16, R11
	JMP          f4row512

f4tap512p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS       (SI)(AX*4), Z4, Z5
	VMULPS       64(SI)(AX*4), Z4, Z6
	VMULPS       128(SI)(AX*4), Z4, Z7
	VMULPS       192(SI)(AX*4), Z4, Z8
	VADDPS       Z0, Z5, Z0
	VADDPS       Z1, Z6, Z1
	VADDPS       Z2, Z7, Z2
	VADDPS       Z3, Z8, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f4tap512p
	ADDQ         $16, R11
	JMP          f4row512

f4store512:
	VMOVUPS Z0, (DI)(BX*1)
	VMOVUPS Z1, 64(DI)(BX*1)
	VMOVUPS Z2, 128(DI)(BX*1)
	VMOVUPS Z3, 192(DI)(BX*1)
	ADDQ    $256, BX
	SUBQ    $4, CX
	JMP     full4_512

full1_512:
	TESTQ   CX, CX
	JEQ     edges512
	VMOVAPS Z31, Z0
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

f1row512:
	CMPQ R11, R10
	JEQ  f1store512
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  f1tap512p

f1tap512:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS       (SI)(AX*4), Z4, Z5
	VADDPS       Z5, Z0, Z0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f1tap512
	ADDQ         $16, R11
	JMP          f1row512

f1tap512p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS       (SI)(AX*4), Z4, Z5
	VADDPS       Z0, Z5, Z0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f1tap512p
	ADDQ         $16, R11
	JMP          f1row512

f1store512:
	VMOVUPS Z0, (DI)(BX*1)
	ADDQ    $64, BX
	DECQ    CX
	JMP     full1_512

edges512:
	MOVQ edges+96(FP), CX
	MOVQ masks+112(FP), BX

edge512:
	MOVQ    nedges+104(FP), AX
	SHLQ    $3, AX
	ADDQ    edges+96(FP), AX
	CMPQ    CX, AX
	JEQ     next512
	VMOVAPS Z31, Z0
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

erow512:
	CMPQ R11, R10
	JEQ  estore512
	MOVQ (R11), SI
	ADDQ (CX), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  etap512p

etap512:
	MOVQ         (R13)(R12*8), AX
	KMOVW        (BX)(R12*4), K1
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS.Z     (SI)(AX*4), Z4, K1, Z5
	VADDPS       Z5, Z0, K1, Z0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap512
	ADDQ         $16, R11
	JMP          erow512

etap512p:
	MOVQ         (R13)(R12*8), AX
	KMOVW        (BX)(R12*4), K1
	VBROADCASTSS (DX)(R12*4), Z4
	VMULPS.Z     (SI)(AX*4), Z4, K1, Z5
	VADDPS       Z0, Z5, K1, Z0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap512p
	ADDQ         $16, R11
	JMP          erow512

estore512:
	MOVQ    kw+72(FP), AX
	KMOVW   (BX)(AX*4), K1
	LEAQ    4(BX)(AX*4), BX
	MOVQ    (CX), AX
	VMOVUPS Z0, K1, (DI)(AX*4)
	ADDQ    $8, CX
	JMP     edge512

next512:
	MOVQ ow+56(FP), AX
	LEAQ (DI)(AX*4), DI
	ADDQ $8, R8
	JMP  row512

done512:
	VZEROUPPER
	RET

// func dwPlaneAVX2(dst, src, w *float32, bias float32, rows *dwTapRow, rowStart *int, nout, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)
TEXT ·dwPlaneAVX2(SB), NOSPLIT, $0-121
	VBROADCASTSS bias+24(FP), Y15
	MOVQ         dst+0(FP), DI
	MOVQ         rowStart+40(FP), R8
	MOVQ         cols+64(FP), R13

row2:
	MOVQ nout+48(FP), AX
	SHLQ $3, AX
	ADDQ rowStart+40(FP), AX
	CMPQ R8, AX
	JEQ  done2
	MOVQ 8(R8), R10
	SHLQ $4, R10
	ADDQ rows+32(FP), R10
	MOVQ full0+80(FP), BX
	SHLQ $2, BX
	MOVQ nfull+88(FP), CX

full4_2:
	CMPQ    CX, $4
	JLT     full1_2
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

f4row2:
	CMPQ R11, R10
	JEQ  f4store2
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  f4tap2p

f4tap2:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	VMULPS       (SI)(AX*4), Y4, Y5
	VMULPS       32(SI)(AX*4), Y4, Y6
	VMULPS       64(SI)(AX*4), Y4, Y7
	VMULPS       96(SI)(AX*4), Y4, Y8
	VADDPS       Y5, Y0, Y0
	VADDPS       Y6, Y1, Y1
	VADDPS       Y7, Y2, Y2
	VADDPS       Y8, Y3, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f4tap2
	ADDQ         $16, R11
	JMP          f4row2

f4tap2p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	VMULPS       (SI)(AX*4), Y4, Y5
	VMULPS       32(SI)(AX*4), Y4, Y6
	VMULPS       64(SI)(AX*4), Y4, Y7
	VMULPS       96(SI)(AX*4), Y4, Y8
	VADDPS       Y0, Y5, Y0
	VADDPS       Y1, Y6, Y1
	VADDPS       Y2, Y7, Y2
	VADDPS       Y3, Y8, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f4tap2p
	ADDQ         $16, R11
	JMP          f4row2

f4store2:
	VMOVUPS Y0, (DI)(BX*1)
	VMOVUPS Y1, 32(DI)(BX*1)
	VMOVUPS Y2, 64(DI)(BX*1)
	VMOVUPS Y3, 96(DI)(BX*1)
	ADDQ    $128, BX
	SUBQ    $4, CX
	JMP     full4_2

full1_2:
	TESTQ   CX, CX
	JEQ     edges2
	VMOVAPS Y15, Y0
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

f1row2:
	CMPQ R11, R10
	JEQ  f1store2
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  f1tap2p

f1tap2:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	VMULPS       (SI)(AX*4), Y4, Y5
	VADDPS       Y5, Y0, Y0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f1tap2
	ADDQ         $16, R11
	JMP          f1row2

f1tap2p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	VMULPS       (SI)(AX*4), Y4, Y5
	VADDPS       Y0, Y5, Y0
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          f1tap2p
	ADDQ         $16, R11
	JMP          f1row2

f1store2:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	DECQ    CX
	JMP     full1_2

edges2:
	MOVQ edges+96(FP), CX
	MOVQ masks+112(FP), BX

edge2:
	MOVQ    nedges+104(FP), AX
	SHLQ    $3, AX
	ADDQ    edges+96(FP), AX
	CMPQ    CX, AX
	JEQ     next2
	VMOVAPS Y15, Y0
	MOVQ    (R8), R11
	SHLQ    $4, R11
	ADDQ    rows+32(FP), R11

erow2:
	CMPQ R11, R10
	JEQ  estore2
	MOVQ (R11), SI
	ADDQ (CX), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	MOVQ BX, R9
	CMPB prodFirst+120(FP), $0
	JNE  etap2p

etap2:
	MOVQ         (R13)(R12*8), AX
	VMOVUPS      (R9), Y1
	VBROADCASTSS (DX)(R12*4), Y4
	VMASKMOVPS   (SI)(AX*4), Y1, Y5
	VMULPS       Y5, Y4, Y5
	VADDPS       Y5, Y0, Y6
	VBLENDVPS    Y1, Y6, Y0, Y0
	ADDQ         $32, R9
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap2
	ADDQ         $16, R11
	JMP          erow2

etap2p:
	MOVQ         (R13)(R12*8), AX
	VMOVUPS      (R9), Y1
	VBROADCASTSS (DX)(R12*4), Y4
	VMASKMOVPS   (SI)(AX*4), Y1, Y5
	VMULPS       Y5, Y4, Y5
	VADDPS       Y0, Y5, Y6
	VBLENDVPS    Y1, Y6, Y0, Y0
	ADDQ         $32, R9
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap2p
	ADDQ         $16, R11
	JMP          erow2

estore2:
	MOVQ       kw+72(FP), AX
	SHLQ       $5, AX
	ADDQ       AX, BX
	VMOVUPS    (BX), Y1
	ADDQ       $32, BX
	MOVQ       (CX), AX
	VMASKMOVPS Y0, Y1, (DI)(AX*4)
	ADDQ       $8, CX
	JMP        edge2

next2:
	MOVQ ow+56(FP), AX
	LEAQ (DI)(AX*4), DI
	ADDQ $8, R8
	JMP  row2

done2:
	VZEROUPPER
	RET

// The dwRows4 kernels compute four output rows at once (dst advancing by ow
// values per row), rows whose tap rows are those of the first, rows[:n],
// each row's input d values further than the previous one's: for each
// output vector (the nfull from full0, then the edges), four accumulators
// share each weight and mask. The sums are those of dwPlaneAVX512.
//
// Registers: DI first output row, R8 d in bytes, R10 end of the tap rows,
// R11 tap row, R12 tap column, R13 cols, SI input at the vector (without
// cols[tc]), DX the tap row's weights, BX vector column in bytes (full) or
// masks of the edge vector, CX full vectors left or &edges[e], R14 the
// third row's input, AX scratch.

// func dwRows4AVX512(dst, src, w *float32, bias float32, rows *dwTapRow, n, d, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)
TEXT ·dwRows4AVX512(SB), NOSPLIT, $0-121
	VBROADCASTSS bias+24(FP), Z31
	MOVQ         dst+0(FP), DI
	MOVQ         d+48(FP), R8
	SHLQ         $2, R8
	MOVQ         cols+64(FP), R13
	MOVQ         n+40(FP), R10
	SHLQ         $4, R10
	ADDQ         rows+32(FP), R10
	MOVQ         full0+80(FP), BX
	SHLQ         $2, BX
	MOVQ         nfull+88(FP), CX

full4r512:
	TESTQ   CX, CX
	JEQ     edges4r512
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	MOVQ    rows+32(FP), R11

frow4r512:
	CMPQ R11, R10
	JEQ  fstore4r512
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  ftap4r512p

ftap4r512:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS       (AX), Z4, Z5
	VMULPS       (AX)(R8*1), Z4, Z6
	VMULPS       (R14), Z4, Z7
	VMULPS       (R14)(R8*1), Z4, Z8
	VADDPS       Z5, Z0, Z0
	VADDPS       Z6, Z1, Z1
	VADDPS       Z7, Z2, Z2
	VADDPS       Z8, Z3, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          ftap4r512
	ADDQ         $16, R11
	JMP          frow4r512

ftap4r512p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Z4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS       (AX), Z4, Z5
	VMULPS       (AX)(R8*1), Z4, Z6
	VMULPS       (R14), Z4, Z7
	VMULPS       (R14)(R8*1), Z4, Z8
	VADDPS       Z0, Z5, Z0
	VADDPS       Z1, Z6, Z1
	VADDPS       Z2, Z7, Z2
	VADDPS       Z3, Z8, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          ftap4r512p
	ADDQ         $16, R11
	JMP          frow4r512

fstore4r512:
	MOVQ    ow+56(FP), AX
	SHLQ    $2, AX
	LEAQ    (DI)(BX*1), R14
	VMOVUPS Z0, (R14)
	VMOVUPS Z1, (R14)(AX*1)
	LEAQ    (R14)(AX*2), R14
	VMOVUPS Z2, (R14)
	VMOVUPS Z3, (R14)(AX*1)
	ADDQ    $64, BX
	DECQ    CX
	JMP     full4r512

edges4r512:
	MOVQ edges+96(FP), CX
	MOVQ masks+112(FP), BX

edge4r512:
	MOVQ    nedges+104(FP), AX
	SHLQ    $3, AX
	ADDQ    edges+96(FP), AX
	CMPQ    CX, AX
	JEQ     done4r512
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	MOVQ    rows+32(FP), R11

erow4r512:
	CMPQ R11, R10
	JEQ  estore4r512
	MOVQ (R11), SI
	ADDQ (CX), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  etap4r512p

etap4r512:
	MOVQ         (R13)(R12*8), AX
	KMOVW        (BX)(R12*4), K1
	VBROADCASTSS (DX)(R12*4), Z4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS.Z     (AX), Z4, K1, Z5
	VMULPS.Z     (AX)(R8*1), Z4, K1, Z6
	VMULPS.Z     (R14), Z4, K1, Z7
	VMULPS.Z     (R14)(R8*1), Z4, K1, Z8
	VADDPS       Z5, Z0, K1, Z0
	VADDPS       Z6, Z1, K1, Z1
	VADDPS       Z7, Z2, K1, Z2
	VADDPS       Z8, Z3, K1, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap4r512
	ADDQ         $16, R11
	JMP          erow4r512

etap4r512p:
	MOVQ         (R13)(R12*8), AX
	KMOVW        (BX)(R12*4), K1
	VBROADCASTSS (DX)(R12*4), Z4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS.Z     (AX), Z4, K1, Z5
	VMULPS.Z     (AX)(R8*1), Z4, K1, Z6
	VMULPS.Z     (R14), Z4, K1, Z7
	VMULPS.Z     (R14)(R8*1), Z4, K1, Z8
	VADDPS       Z0, Z5, K1, Z0
	VADDPS       Z1, Z6, K1, Z1
	VADDPS       Z2, Z7, K1, Z2
	VADDPS       Z3, Z8, K1, Z3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap4r512p
	ADDQ         $16, R11
	JMP          erow4r512

estore4r512:
	MOVQ    kw+72(FP), AX
	KMOVW   (BX)(AX*4), K1
	LEAQ    4(BX)(AX*4), BX
	MOVQ    (CX), AX
	LEAQ    (DI)(AX*4), R14
	MOVQ    ow+56(FP), AX
	SHLQ    $2, AX
	VMOVUPS Z0, K1, (R14)
	VMOVUPS Z1, K1, (R14)(AX*1)
	LEAQ    (R14)(AX*2), R14
	VMOVUPS Z2, K1, (R14)
	VMOVUPS Z3, K1, (R14)(AX*1)
	ADDQ    $8, CX
	JMP     edge4r512

done4r512:
	VZEROUPPER
	RET

// func dwRows4AVX2(dst, src, w *float32, bias float32, rows *dwTapRow, n, d, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)
TEXT ·dwRows4AVX2(SB), NOSPLIT, $0-121
	VBROADCASTSS bias+24(FP), Y15
	MOVQ         dst+0(FP), DI
	MOVQ         d+48(FP), R8
	SHLQ         $2, R8
	MOVQ         cols+64(FP), R13
	MOVQ         n+40(FP), R10
	SHLQ         $4, R10
	ADDQ         rows+32(FP), R10
	MOVQ         full0+80(FP), BX
	SHLQ         $2, BX
	MOVQ         nfull+88(FP), CX

full4r2:
	TESTQ   CX, CX
	JEQ     edges4r2
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	MOVQ    rows+32(FP), R11

frow4r2:
	CMPQ R11, R10
	JEQ  fstore4r2
	MOVQ (R11), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	ADDQ BX, SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  ftap4r2p

ftap4r2:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS       (AX), Y4, Y5
	VMULPS       (AX)(R8*1), Y4, Y6
	VMULPS       (R14), Y4, Y7
	VMULPS       (R14)(R8*1), Y4, Y8
	VADDPS       Y5, Y0, Y0
	VADDPS       Y6, Y1, Y1
	VADDPS       Y7, Y2, Y2
	VADDPS       Y8, Y3, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          ftap4r2
	ADDQ         $16, R11
	JMP          frow4r2

ftap4r2p:
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMULPS       (AX), Y4, Y5
	VMULPS       (AX)(R8*1), Y4, Y6
	VMULPS       (R14), Y4, Y7
	VMULPS       (R14)(R8*1), Y4, Y8
	VADDPS       Y0, Y5, Y0
	VADDPS       Y1, Y6, Y1
	VADDPS       Y2, Y7, Y2
	VADDPS       Y3, Y8, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          ftap4r2p
	ADDQ         $16, R11
	JMP          frow4r2

fstore4r2:
	MOVQ    ow+56(FP), AX
	SHLQ    $2, AX
	LEAQ    (DI)(BX*1), R14
	VMOVUPS Y0, (R14)
	VMOVUPS Y1, (R14)(AX*1)
	LEAQ    (R14)(AX*2), R14
	VMOVUPS Y2, (R14)
	VMOVUPS Y3, (R14)(AX*1)
	ADDQ    $32, BX
	DECQ    CX
	JMP     full4r2

edges4r2:
	MOVQ edges+96(FP), CX
	MOVQ masks+112(FP), BX

edge4r2:
	MOVQ    nedges+104(FP), AX
	SHLQ    $3, AX
	ADDQ    edges+96(FP), AX
	CMPQ    CX, AX
	JEQ     done4r2
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	MOVQ    rows+32(FP), R11

erow4r2:
	CMPQ R11, R10
	JEQ  estore4r2
	MOVQ (R11), SI
	ADDQ (CX), SI
	SHLQ $2, SI
	ADDQ src+8(FP), SI
	MOVQ 8(R11), DX
	SHLQ $2, DX
	ADDQ w+16(FP), DX
	XORQ R12, R12
	CMPB prodFirst+120(FP), $0
	JNE  etap4r2p

etap4r2:
	MOVQ         R12, AX
	SHLQ         $5, AX
	VMOVUPS      (BX)(AX*1), Y9
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMASKMOVPS   (AX), Y9, Y5
	VMASKMOVPS   (AX)(R8*1), Y9, Y6
	VMASKMOVPS   (R14), Y9, Y7
	VMASKMOVPS   (R14)(R8*1), Y9, Y8
	VMULPS       Y5, Y4, Y5
	VMULPS       Y6, Y4, Y6
	VMULPS       Y7, Y4, Y7
	VMULPS       Y8, Y4, Y8
	VADDPS       Y5, Y0, Y5
	VADDPS       Y6, Y1, Y6
	VADDPS       Y7, Y2, Y7
	VADDPS       Y8, Y3, Y8
	VBLENDVPS    Y9, Y5, Y0, Y0
	VBLENDVPS    Y9, Y6, Y1, Y1
	VBLENDVPS    Y9, Y7, Y2, Y2
	VBLENDVPS    Y9, Y8, Y3, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap4r2
	ADDQ         $16, R11
	JMP          erow4r2

etap4r2p:
	MOVQ         R12, AX
	SHLQ         $5, AX
	VMOVUPS      (BX)(AX*1), Y9
	MOVQ         (R13)(R12*8), AX
	VBROADCASTSS (DX)(R12*4), Y4
	LEAQ         (SI)(AX*4), AX
	LEAQ         (AX)(R8*2), R14
	VMASKMOVPS   (AX), Y9, Y5
	VMASKMOVPS   (AX)(R8*1), Y9, Y6
	VMASKMOVPS   (R14), Y9, Y7
	VMASKMOVPS   (R14)(R8*1), Y9, Y8
	VMULPS       Y5, Y4, Y5
	VMULPS       Y6, Y4, Y6
	VMULPS       Y7, Y4, Y7
	VMULPS       Y8, Y4, Y8
	VADDPS       Y0, Y5, Y5
	VADDPS       Y1, Y6, Y6
	VADDPS       Y2, Y7, Y7
	VADDPS       Y3, Y8, Y8
	VBLENDVPS    Y9, Y5, Y0, Y0
	VBLENDVPS    Y9, Y6, Y1, Y1
	VBLENDVPS    Y9, Y7, Y2, Y2
	VBLENDVPS    Y9, Y8, Y3, Y3
	INCQ         R12
	CMPQ         R12, kw+72(FP)
	JLT          etap4r2p
	ADDQ         $16, R11
	JMP          erow4r2

estore4r2:
	MOVQ       kw+72(FP), AX
	SHLQ       $5, AX
	ADDQ       AX, BX
	VMOVUPS    (BX), Y9
	ADDQ       $32, BX
	MOVQ       (CX), AX
	LEAQ       (DI)(AX*4), R14
	MOVQ       ow+56(FP), AX
	SHLQ       $2, AX
	VMASKMOVPS Y0, Y9, (R14)
	VMASKMOVPS Y1, Y9, (R14)(AX*1)
	LEAQ       (R14)(AX*2), R14
	VMASKMOVPS Y2, Y9, (R14)
	VMASKMOVPS Y3, Y9, (R14)(AX*1)
	ADDQ       $8, CX
	JMP        edge4r2

done4r2:
	VZEROUPPER
	RET
