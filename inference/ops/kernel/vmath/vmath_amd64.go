//go:build !purego

package vmath

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernels and useAVX512 the AVX-512 ones. They
// are fixed at start-up; all paths give the same bits, so the choice only
// changes the speed.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

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

// kernelFunc is an assembly kernel: dst[i] = f(src[i]) for i < n, n a
// positive multiple of its width (8 lanes for AVX2, 16 for AVX-512).
type kernelFunc func(n int, dst, src *float32)

// kernels are the assembly kernels of each function.
var kernels = [...]struct{ avx2, avx512 kernelFunc }{
	fnExp:     {expAVX2, expAVX512},
	fnSigmoid: {sigmoidAVX2, sigmoidAVX512},
	fnSiLU:    {siluAVX2, siluAVX512},
	fnTanh:    {tanhAVX2, tanhAVX512},
	fnErf:     {erfAVX2, erfAVX512},
}

// apply sets dst[i] = f(src[i]) for i < len(dst) with the kernel of fn k
// this CPU runs: AVX-512, AVX2, or the Go definition f.
func apply(dst, src []float32, f func(float32) float32, k fn) {
	src = src[:len(dst)]
	switch {
	case useAVX512:
		applyKernel(kernels[k].avx512, 16, dst, src)
	case useAVX2:
		applyKernel(kernels[k].avx2, 8, dst, src)
	default:
		applyGo(f, dst, src)
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
