package mathops

import (
	"math"
	"strconv"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/ops/kernel/varith"
	"github.com/papdl/papdl/inference/tensor"
)

// binOp names an element-wise binary operator on operands of one type.
type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opMax
	opMin
	opMod  // Python-style modulus (sign of the divisor)
	opFmod // C fmod (sign of the dividend)
)

var binOpNames = [...]string{"Add", "Sub", "Mul", "Div", "Max", "Min", "Mod", "Mod"}

func addK[T number]() slices2[T, T, T] {
	return slices2[T, T, T]{
		vv: func(d, a, b []T) {
			a, b = a[:len(d)], b[:len(d)]
			for i := range d {
				d[i] = a[i] + b[i]
			}
		},
		vs: func(d, a []T, b T) {
			a = a[:len(d)]
			for i := range d {
				d[i] = a[i] + b
			}
		},
		sv: func(d []T, a T, b []T) {
			b = b[:len(d)]
			for i := range d {
				d[i] = a + b[i]
			}
		},
	}
}

func subK[T number]() slices2[T, T, T] {
	return slices2[T, T, T]{
		vv: func(d, a, b []T) {
			a, b = a[:len(d)], b[:len(d)]
			for i := range d {
				d[i] = a[i] - b[i]
			}
		},
		vs: func(d, a []T, b T) {
			a = a[:len(d)]
			for i := range d {
				d[i] = a[i] - b
			}
		},
		sv: func(d []T, a T, b []T) {
			b = b[:len(d)]
			for i := range d {
				d[i] = a - b[i]
			}
		},
	}
}

func mulK[T number]() slices2[T, T, T] {
	return slices2[T, T, T]{
		vv: func(d, a, b []T) {
			a, b = a[:len(d)], b[:len(d)]
			for i := range d {
				d[i] = a[i] * b[i]
			}
		},
		vs: func(d, a []T, b T) {
			a = a[:len(d)]
			for i := range d {
				d[i] = a[i] * b
			}
		},
		sv: func(d []T, a T, b []T) {
			b = b[:len(d)]
			for i := range d {
				d[i] = a * b[i]
			}
		},
	}
}

// divK divides; integer division truncates toward zero as in C (callers
// reject integer division by zero beforehand).
func divK[T number]() slices2[T, T, T] {
	return slices2[T, T, T]{
		vv: func(d, a, b []T) {
			a, b = a[:len(d)], b[:len(d)]
			for i := range d {
				d[i] = a[i] / b[i]
			}
		},
		vs: func(d, a []T, b T) {
			a = a[:len(d)]
			for i := range d {
				d[i] = a[i] / b
			}
		},
		sv: func(d []T, a T, b []T) {
			b = b[:len(d)]
			for i := range d {
				d[i] = a / b[i]
			}
		},
	}
}

// maxOf and minOf propagate NaN like numpy's maximum and minimum.
func maxOf[T number](a, b T) T {
	if a > b || a != a {
		return a
	}
	return b
}

func minOf[T number](a, b T) T {
	if a < b || a != a {
		return a
	}
	return b
}

// modOf is the remainder with the sign of the divisor (numpy mod).
func modOf[T number](a, b T) T {
	switch x := any(a).(type) {
	case float32:
		return T(pyModFloat(float64(x), float64(b)))
	case float64:
		return T(pyModFloat(x, float64(b)))
	}
	r := intRem(a, b)
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// intRem is a % b for integer T (callers reject b == 0).
func intRem[T number](a, b T) T {
	switch x := any(a).(type) {
	case int8:
		return T(x % int8(b))
	case int16:
		return T(x % int16(b))
	case int32:
		return T(x % int32(b))
	case int64:
		return T(x % int64(b))
	case uint8:
		return T(x % uint8(b))
	case uint16:
		return T(x % uint16(b))
	case uint32:
		return T(x % uint32(b))
	case uint64:
		return T(x % uint64(b))
	}
	return 0
}

func pyModFloat(a, b float64) float64 {
	r := math.Mod(a, b)
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// fmodOf is the remainder with the sign of the dividend (C fmod).
func fmodOf[T number](a, b T) T {
	switch x := any(a).(type) {
	case float32:
		return T(math.Mod(float64(x), float64(b)))
	case float64:
		return T(math.Mod(x, float64(b)))
	}
	return intRem(a, b)
}

func binKernels[T number](op binOp) slices2[T, T, T] {
	if ks, ok := any(&float32Kernels).(*[opDiv + 1]slices2[T, T, T]); ok && op <= opDiv {
		return ks[op]
	}
	switch op {
	case opAdd:
		return addK[T]()
	case opSub:
		return subK[T]()
	case opMul:
		return mulK[T]()
	case opDiv:
		return divK[T]()
	case opMax:
		return elementwise(maxOf[T])
	case opMin:
		return elementwise(minOf[T])
	case opMod:
		return elementwise(modOf[T])
	}
	return elementwise(fmodOf[T])
}

// float32Kernels are Add, Sub, Mul and Div (indexed by op <= opDiv) on
// float32 slices, vectorised (varith: the same bits as the generic loops).
// They are built once: binKernels runs for every node on every run.
var float32Kernels = [opDiv + 1]slices2[float32, float32, float32]{
	opAdd: float32Kernel(varith.Add),
	opSub: float32Kernel(varith.Sub),
	opMul: float32Kernel(varith.Mul),
	opDiv: float32Kernel(varith.Div),
}

func float32Kernel(v varith.Op) slices2[float32, float32, float32] {
	return slices2[float32, float32, float32]{
		vv: func(d, a, b []float32) { varith.VV(v, d, a, b) },
		vs: func(d, a []float32, b float32) { varith.VS(v, d, a, b) },
		sv: func(d []float32, a float32, b []float32) { varith.SV(v, d, a, b) },
	}
}

func binTyped[T number](op binOp, p *bcast, out, a, b *tensor.Tensor) error {
	bd := b.Data.([]T)
	if (op == opDiv || op == opMod || op == opFmod) && !isFloat(b.DType) {
		for _, v := range bd {
			if v == 0 {
				return errorf("integer %s by zero (input 1 holds a 0)", binOpNames[op])
			}
		}
	}
	run2(p, out.Data.([]T), a.Data.([]T), bd, binKernels[T](op))
	return nil
}

// binary computes op(a, b) with multidirectional broadcasting.
func binary(op binOp, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	return binaryInto(op, a, b)
}

// binaryInto is binary, writing the result into the memory of the first
// of into that has the result's dtype and shape (an operand the caller no
// longer needs: each output element depends only on the operands' elements
// at the same index, so computing in place gives the same bits).
func binaryInto(op binOp, a, b *tensor.Tensor, into ...*tensor.Tensor) (*tensor.Tensor, error) {
	if a.DType != b.DType {
		return nil, errorf("input 0 is %s but input 1 is %s", a.DType, b.DType)
	}
	p, err := newBcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if !isNumeric(a.DType) || a.DType == tensor.Float16 {
		return nil, errorf("input 0: %s tensors are not supported", a.DType)
	}
	var out *tensor.Tensor
	for _, t := range into {
		if t != nil && t.DType == a.DType && tensor.SameShape(t.Shape, p.out) {
			out = &tensor.Tensor{DType: t.DType, Shape: append([]int(nil), p.out...), Data: t.Data}
			break
		}
	}
	if out == nil {
		out = tensor.New(a.DType, p.out...)
	}
	switch a.DType {
	case tensor.Float32:
		err = binTyped[float32](op, p, out, a, b)
	case tensor.Float64:
		err = binTyped[float64](op, p, out, a, b)
	case tensor.Int8:
		err = binTyped[int8](op, p, out, a, b)
	case tensor.Int16:
		err = binTyped[int16](op, p, out, a, b)
	case tensor.Int32:
		err = binTyped[int32](op, p, out, a, b)
	case tensor.Int64:
		err = binTyped[int64](op, p, out, a, b)
	case tensor.Uint8:
		err = binTyped[uint8](op, p, out, a, b)
	case tensor.Uint16:
		err = binTyped[uint16](op, p, out, a, b)
	case tensor.Uint32:
		err = binTyped[uint32](op, p, out, a, b)
	case tensor.Uint64:
		err = binTyped[uint64](op, p, out, a, b)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// legacyBroadcast applies the opset < 7 rules of Add, Sub, Mul, Div and Pow:
// without broadcast=1 the shapes must match; with it, B's shape is a
// contiguous run of A's starting at axis (default: aligned to the end).
func legacyBroadcast(n *onnx.Node, opset int64) (func(a, b *tensor.Tensor) (*tensor.Tensor, error), error) {
	if opset >= 7 {
		return func(_, b *tensor.Tensor) (*tensor.Tensor, error) { return b, nil }, nil
	}
	bc, err := n.AttrInt("broadcast", 0)
	if err != nil {
		return nil, err
	}
	_, hasAxis := n.Attr("axis")
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(a, b *tensor.Tensor) (*tensor.Tensor, error) {
		if bc == 0 {
			if !tensor.SameShape(a.Shape, b.Shape) {
				return nil, errorf("input shapes %v and %v differ and attribute broadcast is 0", a.Shape, b.Shape)
			}
			return b, nil
		}
		if !hasAxis || len(b.Shape) == 0 {
			return b, nil
		}
		if len(b.Shape) > len(a.Shape) {
			return nil, errorf("input 1 of shape %v has a higher rank than input 0 of shape %v", b.Shape, a.Shape)
		}
		ax := int(axis)
		if ax < 0 {
			ax += len(a.Shape)
		}
		if ax < 0 || ax+len(b.Shape) > len(a.Shape) {
			return nil, errorf("attribute axis %d cannot place shape %v inside %v", axis, b.Shape, a.Shape)
		}
		shape := make([]int, len(a.Shape)-ax)
		for i := range shape {
			shape[i] = 1
		}
		copy(shape, b.Shape)
		return b.Reshaped(shape...)
	}, nil
}

// buildBinary handles Add, Sub, Mul and Div.
func buildBinary(op binOp) kernel.Builder {
	return func(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		legacy, err := legacyBroadcast(n, opset)
		if err != nil {
			return nil, err
		}
		return &binaryKernel{op: op, legacy: legacy}, nil
	}
}

// binaryKernel runs Add, Sub, Mul or Div; as a kernel.Reuser it computes
// in place into a spare operand of the output's shape.
type binaryKernel struct {
	op     binOp
	legacy func(a, b *tensor.Tensor) (*tensor.Tensor, error)
}

func (k *binaryKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.RunReusing(inputs, nil)
}

func (k *binaryKernel) RunReusing(inputs []*tensor.Tensor, spare []bool) ([]*tensor.Tensor, error) {
	return withHalf(func(conv []*tensor.Tensor) ([]*tensor.Tensor, error) {
		a, err := need(conv, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := need(conv, 1, "B")
		if err != nil {
			return nil, err
		}
		if b, err = k.legacy(a, b); err != nil {
			return nil, err
		}
		var into [2]*tensor.Tensor
		for i := range into {
			// Only the caller's tensors (withHalf widens float16 ones).
			if i < len(spare) && spare[i] && conv[i] == inputs[i] {
				into[i] = conv[i]
			}
		}
		out, err := binaryInto(k.op, a, b, into[:]...)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	})(inputs)
}

// buildMod handles Mod (fmod attribute; floats require fmod=1).
func buildMod(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	fmod, err := n.AttrInt("fmod", 0)
	if err != nil {
		return nil, err
	}
	if fmod != 0 && fmod != 1 {
		return nil, errorf("attribute fmod must be 0 or 1, got %d", fmod)
	}
	op := opMod
	if fmod == 1 {
		op = opFmod
	}
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		a, err := need(inputs, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := need(inputs, 1, "B")
		if err != nil {
			return nil, err
		}
		if isFloat(a.DType) && fmod == 0 {
			return nil, errorf("attribute fmod must be 1 for %s inputs", a.DType)
		}
		out, err := binary(op, a, b)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

// buildVariadic handles Sum, Max, Min and Mean: a left fold of the inputs
// with multidirectional broadcasting.
func buildVariadic(op binOp, mean bool) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if len(inputs) == 0 {
				return nil, errorf("needs at least one input")
			}
			acc, err := need(inputs, 0, "data_0")
			if err != nil {
				return nil, err
			}
			if !isNumeric(acc.DType) {
				return nil, errorf("input 0: %s tensors are not supported", acc.DType)
			}
			if len(inputs) == 1 {
				acc = acc.Clone()
			}
			for i := 1; i < len(inputs); i++ {
				x, err := need(inputs, i, "data_"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				if x.DType != acc.DType {
					return nil, errorf("input %d is %s but input 0 is %s", i, x.DType, acc.DType)
				}
				if acc, err = binary(op, acc, x); err != nil {
					return nil, errorf("input %d: %v", i, err)
				}
			}
			if mean {
				if !isFloat(acc.DType) {
					return nil, errorf("Mean needs float inputs, got %s", acc.DType)
				}
				divideBy(acc, len(inputs))
			}
			return one(acc), nil
		}), nil
	}
}

func divideBy(t *tensor.Tensor, k int) {
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] /= float32(k)
		}
	case []float64:
		for i := range d {
			d[i] /= float64(k)
		}
	}
}

// buildPRelu handles PRelu: slope broadcasts unidirectionally to X.
func buildPRelu(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(inputs, 0, "X")
		if err != nil {
			return nil, err
		}
		s, err := need(inputs, 1, "slope")
		if err != nil {
			return nil, err
		}
		if x.DType != s.DType {
			return nil, errorf("input 0 (X) is %s but input 1 (slope) is %s", x.DType, s.DType)
		}
		p, err := newBcast(x.Shape, s.Shape)
		if err != nil {
			return nil, errorf("input 1 (slope): %v", err)
		}
		if !tensor.SameShape(p.out, x.Shape) {
			return nil, errorf("input 1 (slope) of shape %v does not broadcast to X's shape %v", s.Shape, x.Shape)
		}
		out := tensor.New(x.DType, x.Shape...)
		switch x.DType {
		case tensor.Float32:
			run2(p, out.Data.([]float32), x.Data.([]float32), s.Data.([]float32), elementwise(prelu[float32]))
		case tensor.Float64:
			run2(p, out.Data.([]float64), x.Data.([]float64), s.Data.([]float64), elementwise(prelu[float64]))
		case tensor.Int32:
			run2(p, out.Data.([]int32), x.Data.([]int32), s.Data.([]int32), elementwise(prelu[int32]))
		case tensor.Int64:
			run2(p, out.Data.([]int64), x.Data.([]int64), s.Data.([]int64), elementwise(prelu[int64]))
		default:
			return nil, errorf("input 0 (X): %s tensors are not supported", x.DType)
		}
		return one(out), nil
	}), nil
}

func prelu[T number](x, s T) T {
	if x < 0 {
		return s * x
	}
	return x
}
