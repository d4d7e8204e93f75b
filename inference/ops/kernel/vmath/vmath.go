package vmath

// Exp sets dst[i] = e^src[i] for i < len(dst); src must be at least as long.
func Exp(dst, src []float32) { apply(dst, src, expf, fnExp) }

// Sigmoid sets dst[i] = 1/(1 + e^-src[i]).
func Sigmoid(dst, src []float32) { apply(dst, src, sigmoidf, fnSigmoid) }

// SiLU sets dst[i] = src[i]·Sigmoid(src[i]), the float32 product of src[i]
// and what Sigmoid gives for it (so it equals Sigmoid followed by a
// multiplication, bit for bit).
func SiLU(dst, src []float32) { apply(dst, src, siluf, fnSiLU) }

// Tanh sets dst[i] = tanh(src[i]).
func Tanh(dst, src []float32) { apply(dst, src, tanhf, fnTanh) }

// Erf sets dst[i] = erf(src[i]).
func Erf(dst, src []float32) { apply(dst, src, erff, fnErf) }

// fn names a function for apply, which runs its Go definition or, where
// there are any, its assembly kernels.
type fn int

const (
	fnExp fn = iota
	fnSigmoid
	fnSiLU
	fnTanh
	fnErf
)

// applyGo sets dst[i] = f(src[i]) in portable Go.
func applyGo(f func(float32) float32, dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = f(x)
	}
}
