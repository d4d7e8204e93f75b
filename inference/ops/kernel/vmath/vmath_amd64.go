//go:build !purego

package vmath

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernels and useAVX512 the AVX-512 ones. They
// are fixed at start-up; all paths give the same bits, so the choice only
// changes the speed.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

// kernelFunc is an assembly kernel: dst[i] = f(src[i]) for i < n, n a
// positive multiple of its width.
type kernelFunc func(n int, dst, src *float32)

//go:noescape
func expAVX2(n int, dst, src *float32)

//go:noescape
func sigmoidAVX2(n int, dst, src *float32)

//go:noescape
func siluAVX2(n int, dst, src *float32)

//go:noescape
func tanhAVX2(n int, dst, src *float32)

//go:noescape
func erfAVX2(n int, dst, src *float32)

//go:noescape
func expAVX512(n int, dst, src *float32)

//go:noescape
func sigmoidAVX512(n int, dst, src *float32)

//go:noescape
func siluAVX512(n int, dst, src *float32)

//go:noescape
func tanhAVX512(n int, dst, src *float32)

//go:noescape
func erfAVX512(n int, dst, src *float32)

// avx2 returns o's AVX2 kernel (8 lanes).
func (o op) avx2() kernelFunc {
	switch o {
	case opExp:
		return expAVX2
	case opSigmoid:
		return sigmoidAVX2
	case opSiLU:
		return siluAVX2
	case opTanh:
		return tanhAVX2
	}
	return erfAVX2
}

// avx512 returns o's AVX-512 kernel (16 lanes).
func (o op) avx512() kernelFunc {
	switch o {
	case opExp:
		return expAVX512
	case opSigmoid:
		return sigmoidAVX512
	case opSiLU:
		return siluAVX512
	case opTanh:
		return tanhAVX512
	}
	return erfAVX512
}

// apply sets dst[i] = o(src[i]) for i < len(dst).
func apply(o op, dst, src []float32) {
	src = src[:len(dst)]
	switch {
	case useAVX512:
		applyKernel(o.avx512(), 16, dst, src)
	case useAVX2:
		applyKernel(o.avx2(), 8, dst, src)
	default:
		applyGo(o, dst, src)
	}
}

// applyKernel runs k of width w on dst and src (of equal length); the last
// len%w elements go through a zero-padded buffer.
func applyKernel(k kernelFunc, w int, dst, src []float32) {
	n := len(dst) &^ (w - 1)
	if n > 0 {
		k(n, &dst[0], &src[0])
	}
	if n < len(dst) {
		var buf [16]float32
		m := copy(buf[:], src[n:])
		k(w, &buf[0], &buf[0])
		copy(dst[n:], buf[:m])
	}
}
