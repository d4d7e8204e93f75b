package vmath

// Exp sets dst[i] = e^src[i] for i < len(dst); src must be at least as long.
func Exp(dst, src []float32) { apply(opExp, dst, src) }

// Sigmoid sets dst[i] = 1/(1 + e^-src[i]).
func Sigmoid(dst, src []float32) { apply(opSigmoid, dst, src) }

// SiLU sets dst[i] = src[i]·Sigmoid(src[i]), the float32 product of src[i]
// and what Sigmoid gives for it (so it equals Sigmoid followed by a
// multiplication, bit for bit).
func SiLU(dst, src []float32) { apply(opSiLU, dst, src) }

// Tanh sets dst[i] = tanh(src[i]).
func Tanh(dst, src []float32) { apply(opTanh, dst, src) }

// Erf sets dst[i] = erf(src[i]).
func Erf(dst, src []float32) { apply(opErf, dst, src) }

// op names a function of the package.
type op int

const (
	opExp op = iota
	opSigmoid
	opSiLU
	opTanh
	opErf
)

// scalar returns the Go definition of o.
func (o op) scalar() func(float32) float32 {
	switch o {
	case opExp:
		return expf
	case opSigmoid:
		return sigmoidf
	case opSiLU:
		return siluf
	case opTanh:
		return tanhf
	}
	return erff
}

// applyGo is apply in portable Go.
func applyGo(o op, dst, src []float32) {
	f := o.scalar()
	for i := range dst {
		dst[i] = f(src[i])
	}
}
