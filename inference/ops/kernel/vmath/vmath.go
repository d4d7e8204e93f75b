package vmath

// Exp sets dst[i] = e^src[i] for i < len(dst); src must be at least as long.
func Exp(dst, src []float32) { apply(dst, src, expf, expAVX2, expAVX512) }

// Sigmoid sets dst[i] = 1/(1 + e^-src[i]).
func Sigmoid(dst, src []float32) { apply(dst, src, sigmoidf, sigmoidAVX2, sigmoidAVX512) }

// SiLU sets dst[i] = src[i]·Sigmoid(src[i]), the float32 product of src[i]
// and what Sigmoid gives for it (so it equals Sigmoid followed by a
// multiplication, bit for bit).
func SiLU(dst, src []float32) { apply(dst, src, siluf, siluAVX2, siluAVX512) }

// Tanh sets dst[i] = tanh(src[i]).
func Tanh(dst, src []float32) { apply(dst, src, tanhf, tanhAVX2, tanhAVX512) }

// Erf sets dst[i] = erf(src[i]).
func Erf(dst, src []float32) { apply(dst, src, erff, erfAVX2, erfAVX512) }

// kernelFunc is an assembly kernel: dst[i] = f(src[i]) for i < n, n a
// positive multiple of its width (8 lanes for AVX2, 16 for AVX-512).
type kernelFunc func(n int, dst, src *float32)

// applyGo sets dst[i] = f(src[i]) in portable Go.
func applyGo(f func(float32) float32, dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = f(x)
	}
}
