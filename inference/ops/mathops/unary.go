package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/ops/kernel/vmath"
	"github.com/papdl/papdl/inference/tensor"
)

// numOp is a unary operator defined for every numeric type.
type numOp int

const (
	opAbs numOp = iota
	opNeg
	opSign
	opRelu
)

// unaryNum sets dst to op(src), split across goroutines for large tensors.
func unaryNum[T number](op numOp, dst, src []T) {
	src = src[:len(dst)]
	kernel.Split(len(dst), splitElems, func(lo, hi int) { unaryNumRange(op, dst[lo:hi], src[lo:hi]) })
}

func unaryNumRange[T number](op numOp, dst, src []T) {
	switch op {
	case opAbs:
		for i, x := range src {
			if x < 0 {
				x = -x
			}
			dst[i] = x
		}
	case opNeg:
		for i, x := range src {
			dst[i] = -x
		}
	case opSign:
		for i, x := range src {
			switch {
			case x > 0:
				dst[i] = 1
			case x < 0:
				dst[i] = 0
				dst[i]-- // -1, spelled so that it compiles for unsigned T
			default:
				dst[i] = x // 0, -0 or NaN
			}
		}
	case opRelu:
		for i, x := range src {
			if x < 0 {
				x = 0
			}
			dst[i] = x
		}
	}
}

func runUnaryNum(op numOp, x *tensor.Tensor) (*tensor.Tensor, error) {
	out := tensor.New(x.DType, x.Shape...)
	switch x.DType {
	case tensor.Float32:
		unaryNum(op, out.Data.([]float32), x.Data.([]float32))
	case tensor.Float64:
		unaryNum(op, out.Data.([]float64), x.Data.([]float64))
	case tensor.Int8:
		unaryNum(op, out.Data.([]int8), x.Data.([]int8))
	case tensor.Int16:
		unaryNum(op, out.Data.([]int16), x.Data.([]int16))
	case tensor.Int32:
		unaryNum(op, out.Data.([]int32), x.Data.([]int32))
	case tensor.Int64:
		unaryNum(op, out.Data.([]int64), x.Data.([]int64))
	case tensor.Uint8:
		unaryNum(op, out.Data.([]uint8), x.Data.([]uint8))
	case tensor.Uint16:
		unaryNum(op, out.Data.([]uint16), x.Data.([]uint16))
	case tensor.Uint32:
		unaryNum(op, out.Data.([]uint32), x.Data.([]uint32))
	case tensor.Uint64:
		unaryNum(op, out.Data.([]uint64), x.Data.([]uint64))
	default:
		return nil, errorf("input 0 (X): %s tensors are not supported", x.DType)
	}
	return out, nil
}

func buildUnaryNum(op numOp, signedOnly bool) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			x, err := need(inputs, 0, "X")
			if err != nil {
				return nil, err
			}
			if signedOnly && !isSigned(x.DType) {
				return nil, errorf("input 0 (X): %s tensors are not supported", x.DType)
			}
			out, err := runUnaryNum(op, x)
			if err != nil {
				return nil, err
			}
			return one(out), nil
		}), nil
	}
}

// floatFn makes the element function of a float-only unary operator from
// the node's attributes. Functions work in float64; float32 results are
// rounded once, which keeps them within an ulp of numpy's float32 results
// and bit-for-bit reproducible. The operators in vecOps compute float32
// tensors with vmath instead.
type floatFn func(n *onnx.Node) (func(float64) float64, error)

func plain(f func(float64) float64) floatFn {
	return func(*onnx.Node) (func(float64) float64, error) { return f, nil }
}

// attrs1 reads one float attribute with its default.
func attrs1(name string, def float32, mk func(a float64) func(float64) float64) floatFn {
	return func(n *onnx.Node) (func(float64) float64, error) {
		a, err := n.AttrFloat(name, def)
		if err != nil {
			return nil, err
		}
		return mk(float64(a)), nil
	}
}

// attrs2 reads two float attributes with their defaults.
func attrs2(n1 string, d1 float32, n2 string, d2 float32, mk func(a, b float64) func(float64) float64) floatFn {
	return func(n *onnx.Node) (func(float64) float64, error) {
		a, err := n.AttrFloat(n1, d1)
		if err != nil {
			return nil, err
		}
		b, err := n.AttrFloat(n2, d2)
		if err != nil {
			return nil, err
		}
		return mk(float64(a), float64(b)), nil
	}
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// floatOps are the float-only unary operators (a read-only table).
var floatOps = map[string]floatFn{
	"Sqrt":       plain(math.Sqrt),
	"Exp":        plain(math.Exp),
	"Log":        plain(math.Log),
	"Reciprocal": plain(func(x float64) float64 { return 1 / x }),
	"Floor":      plain(math.Floor),
	"Ceil":       plain(math.Ceil),
	"Round":      plain(math.RoundToEven),
	"Sigmoid":    plain(kernel.Sigmoid),
	"Tanh":       plain(math.Tanh),
	"Erf":        plain(math.Erf),
	"Sin":        plain(math.Sin),
	"Cos":        plain(math.Cos),
	"Tan":        plain(math.Tan),
	"Asin":       plain(math.Asin),
	"Acos":       plain(math.Acos),
	"Atan":       plain(math.Atan),
	"Sinh":       plain(math.Sinh),
	"Cosh":       plain(math.Cosh),
	"Asinh":      plain(math.Asinh),
	"Acosh":      plain(math.Acosh),
	"Atanh":      plain(math.Atanh),
	"Softplus":   plain(softplus),
	"Softsign":   plain(func(x float64) float64 { return x / (1 + math.Abs(x)) }),
	"Mish":       plain(func(x float64) float64 { return x * math.Tanh(softplus(x)) }),
	"HardSwish":  plain(func(x float64) float64 { return x * clamp01(x/6+0.5) }),
	"LeakyRelu": attrs1("alpha", 0.01, func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			if x < 0 {
				return a * x
			}
			return x
		}
	}),
	"Elu": attrs1("alpha", 1, func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			if x < 0 {
				return a * (math.Exp(x) - 1)
			}
			return x
		}
	}),
	"Celu": attrs1("alpha", 1, func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			if x < 0 {
				return a * (math.Exp(x/a) - 1)
			}
			return x
		}
	}),
	"ThresholdedRelu": attrs1("alpha", 1, func(a float64) func(float64) float64 {
		return func(x float64) float64 {
			if x > a {
				return x
			}
			return 0
		}
	}),
	"Selu": attrs2("alpha", 1.67326319217681884765625, "gamma", 1.05070102214813232421875,
		func(a, g float64) func(float64) float64 {
			return func(x float64) float64 {
				if x <= 0 {
					return g * (a*math.Exp(x) - a)
				}
				return g * x
			}
		}),
	"Shrink": attrs2("bias", 0, "lambd", 0.5, func(bias, lambd float64) func(float64) float64 {
		return func(x float64) float64 {
			switch {
			case x < -lambd:
				return x + bias
			case x > lambd:
				return x - bias
			}
			return 0
		}
	}),
	"HardSigmoid": attrs2("alpha", 0.2, "beta", 0.5, func(a, b float64) func(float64) float64 {
		return func(x float64) float64 { return clamp01(a*x + b) }
	}),
}

// vecOps are the float-only unary operators that have a vectorised float32
// implementation (a read-only table). vmath gives the same bits on every
// CPU, within a few ulp of the float64 functions.
var vecOps = map[string]func(dst, src []float32){
	"Exp":     vmath.Exp,
	"Sigmoid": vmath.Sigmoid,
	"Tanh":    vmath.Tanh,
	"Erf":     vmath.Erf,
}

// mapVec sets dst[i] = f(src[i]) with the slice function f, split across
// goroutines for large tensors.
func mapVec(dst, src []float32, f func(dst, src []float32)) {
	src = src[:len(dst)]
	kernel.Split(len(dst), splitElems, func(lo, hi int) { f(dst[lo:hi], src[lo:hi]) })
}

// mapFloat sets dst[i] = f(src[i]), split across goroutines for large
// tensors (element-wise, so the same bits).
func mapFloat[T float](dst, src []T, f func(float64) float64) {
	src = src[:len(dst)]
	kernel.Split(len(dst), splitElems, func(lo, hi int) {
		for i, x := range src[lo:hi] {
			dst[lo+i] = T(f(float64(x)))
		}
	})
}

// splitElems is the fewest elements an element-wise operator gives one
// goroutine.
const splitElems = 1 << 14

// buildFloatUnary builds a float-only unary operator from its element
// function and, when vec is not nil, its float32 slice function.
func buildFloatUnary(mk floatFn, vec func(dst, src []float32)) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		f, err := mk(n)
		if err != nil {
			return nil, err
		}
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			x, err := need(inputs, 0, "X")
			if err != nil {
				return nil, err
			}
			out := tensor.New(x.DType, x.Shape...)
			switch x.DType {
			case tensor.Float32:
				if vec != nil {
					mapVec(out.Data.([]float32), x.Data.([]float32), vec)
					break
				}
				mapFloat(out.Data.([]float32), x.Data.([]float32), f)
			case tensor.Float64:
				mapFloat(out.Data.([]float64), x.Data.([]float64), f)
			default:
				return nil, errorf("input 0 (X): %s tensors are not supported (float types only)", x.DType)
			}
			return one(out), nil
		}), nil
	}
}

// Clip: bounds are attributes min and max before opset 11 and optional
// scalar inputs 1 and 2 from opset 11. When min > max every value becomes
// max, as the ONNX specification requires.
func buildClip(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	legacy := opset < 11
	attrLo, hasLo, err := optionalFloatAttr(n, "min")
	if err != nil {
		return nil, err
	}
	attrHi, hasHi, err := optionalFloatAttr(n, "max")
	if err != nil {
		return nil, err
	}
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(inputs, 0, "input")
		if err != nil {
			return nil, err
		}
		var lo, hi *tensor.Tensor
		if legacy {
			if x.DType != tensor.Float32 && x.DType != tensor.Float64 {
				return nil, errorf("input 0 (input): %s tensors are not supported before opset 11", x.DType)
			}
			if hasLo {
				lo = scalarOf(x.DType, attrLo)
			}
			if hasHi {
				hi = scalarOf(x.DType, attrHi)
			}
		} else {
			if lo, err = clipBound(inputs, 1, "min", x.DType); err != nil {
				return nil, err
			}
			if hi, err = clipBound(inputs, 2, "max", x.DType); err != nil {
				return nil, err
			}
		}
		out := tensor.New(x.DType, x.Shape...)
		switch x.DType {
		case tensor.Float32:
			clip[float32](out, x, lo, hi)
		case tensor.Float64:
			clip[float64](out, x, lo, hi)
		case tensor.Int8:
			clip[int8](out, x, lo, hi)
		case tensor.Int16:
			clip[int16](out, x, lo, hi)
		case tensor.Int32:
			clip[int32](out, x, lo, hi)
		case tensor.Int64:
			clip[int64](out, x, lo, hi)
		case tensor.Uint8:
			clip[uint8](out, x, lo, hi)
		case tensor.Uint16:
			clip[uint16](out, x, lo, hi)
		case tensor.Uint32:
			clip[uint32](out, x, lo, hi)
		case tensor.Uint64:
			clip[uint64](out, x, lo, hi)
		default:
			return nil, errorf("input 0 (input): %s tensors are not supported", x.DType)
		}
		return one(out), nil
	}), nil
}

// optionalFloatAttr returns a FLOAT attribute and whether it is present.
func optionalFloatAttr(n *onnx.Node, name string) (float64, bool, error) {
	if _, ok := n.Attr(name); !ok {
		return 0, false, nil
	}
	v, err := n.AttrFloat(name, 0)
	return float64(v), err == nil, err
}

func clipBound(inputs []*tensor.Tensor, i int, name string, dt tensor.DType) (*tensor.Tensor, error) {
	b, err := optional(inputs, i, name)
	if err != nil || b == nil {
		return nil, err
	}
	if b.DType != dt {
		return nil, errorf("input %d (%s) is %s but input 0 is %s", i, name, b.DType, dt)
	}
	if b.Len() != 1 {
		return nil, errorf("input %d (%s) must be a scalar, has shape %v", i, name, b.Shape)
	}
	return b, nil
}

func scalarOf(dt tensor.DType, v float64) *tensor.Tensor {
	t := tensor.New(dt)
	switch d := t.Data.(type) {
	case []float32:
		d[0] = float32(v)
	case []float64:
		d[0] = v
	}
	return t
}

func clip[T number](out, x, lo, hi *tensor.Tensor) {
	src, dst := x.Data.([]T), out.Data.([]T)
	hasLo, hasHi := lo != nil, hi != nil
	var l, h T
	if hasLo {
		l = lo.Data.([]T)[0]
	}
	if hasHi {
		h = hi.Data.([]T)[0]
	}
	for i, v := range src {
		if hasLo && v < l {
			v = l
		}
		if hasHi && v > h {
			v = h
		}
		dst[i] = v
	}
}
