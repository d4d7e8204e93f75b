package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// redOp names a reduction.
type redOp int

const (
	redSum redOp = iota
	redMean
	redProd
	redSumSquare
	redL1
	redL2
	redLogSum
	redLogSumExp
	redMax
	redMin
)

// reduceOps maps op types to reductions, with the first opset that takes
// axes as an input instead of an attribute (a read-only table).
var reduceOps = map[string]struct {
	op        redOp
	axesInput int64
}{
	"ReduceSum":       {redSum, 13},
	"ReduceMean":      {redMean, 18},
	"ReduceProd":      {redProd, 18},
	"ReduceSumSquare": {redSumSquare, 18},
	"ReduceL1":        {redL1, 18},
	"ReduceL2":        {redL2, 18},
	"ReduceLogSum":    {redLogSum, 18},
	"ReduceLogSumExp": {redLogSumExp, 18},
	"ReduceMax":       {redMax, 18},
	"ReduceMin":       {redMin, 18},
}

// reducePlan walks a C-ordered input once, mapping each element to its
// output slot: dims are merged input dimensions and so their output strides
// (0 along reduced dimensions).
type reducePlan struct {
	dims, so []int
	n        int // input elements
	outN     int // output elements
	count    int // input elements folded into each output element
}

func newReducePlan(shape []int, reduced []bool) *reducePlan {
	p := &reducePlan{n: 1, outN: 1, count: 1}
	so := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		p.n *= shape[i]
		if reduced[i] {
			p.count *= shape[i]
			continue
		}
		so[i] = p.outN
		p.outN *= shape[i]
	}
	dims, st := mergeDims(shape, so)
	p.dims, p.so = dims, st[0]
	return p
}

// reducer folds input elements of type T into accumulators of type A.
type reducer[T, A any] struct {
	init  A
	step  func(acc A, x T) A
	final func(acc A, count int) T
}

func reduceRun[T, A any](p *reducePlan, dst, src []T, r reducer[T, A]) {
	acc := make([]A, p.outN)
	for i := range acc {
		acc[i] = r.init
	}
	last := len(p.dims) - 1
	inner, innerReduced := p.dims[last], p.so[last] == 0
	idx := make([]int, last)
	o := 0
	for i := 0; i < p.n; i += inner {
		run := src[i : i+inner]
		if innerReduced {
			a := acc[o]
			for _, x := range run {
				a = r.step(a, x)
			}
			acc[o] = a
		} else {
			ac := acc[o : o+inner]
			for j, x := range run {
				ac[j] = r.step(ac[j], x)
			}
		}
		for j := last - 1; j >= 0; j-- {
			idx[j]++
			o += p.so[j]
			if idx[j] < p.dims[j] {
				break
			}
			o -= p.so[j] * p.dims[j]
			idx[j] = 0
		}
	}
	for i, a := range acc {
		dst[i] = r.final(a, p.count)
	}
}

// sumLike runs the additive and multiplicative reductions with accumulator
// A: float64 for float inputs, int64 (wrapping like the input type) for
// integer inputs.
func sumLike[T number, A float64 | int64](op redOp, p *reducePlan, dst, src []T) {
	final := func(a A, _ int) T { return T(a) }
	var r reducer[T, A]
	switch op {
	case redSum:
		r = reducer[T, A]{0, func(a A, x T) A { return a + A(x) }, final}
	case redMean:
		r = reducer[T, A]{0, func(a A, x T) A { return a + A(x) }, func(a A, n int) T {
			if n == 0 {
				return 0 // integers only: float callers produce NaN themselves
			}
			return T(a / A(n))
		}}
	case redProd:
		r = reducer[T, A]{1, func(a A, x T) A { return a * A(x) }, final}
	case redSumSquare:
		r = reducer[T, A]{0, func(a A, x T) A { return a + A(x)*A(x) }, final}
	case redL1:
		r = reducer[T, A]{0, func(a A, x T) A {
			if x < 0 {
				return a - A(x)
			}
			return a + A(x)
		}, final}
	}
	reduceRun(p, dst, src, r)
}

// logLike runs the reductions that end in a float function, in float64.
func logLike[T number](op redOp, p *reducePlan, dst, src []T) {
	var r reducer[T, float64]
	switch op {
	case redL2:
		r = reducer[T, float64]{0, func(a float64, x T) float64 { return a + float64(x)*float64(x) },
			func(a float64, _ int) T { return T(math.Sqrt(a)) }}
	case redLogSum:
		r = reducer[T, float64]{0, func(a float64, x T) float64 { return a + float64(x) },
			func(a float64, _ int) T { return T(math.Log(a)) }}
	case redLogSumExp:
		r = reducer[T, float64]{0, func(a float64, x T) float64 { return a + math.Exp(float64(x)) },
			func(a float64, _ int) T { return T(math.Log(a)) }}
	}
	reduceRun(p, dst, src, r)
}

func bounds[T number](lo, hi int64) (T, T) { return T(lo), T(hi) }

// limits returns the lowest and highest values of T (infinities for floats).
func limits[T number]() (lo, hi T) {
	var z T
	switch any(z).(type) {
	case float32, float64:
		inf := math.Inf(1)
		return T(-inf), T(inf)
	case int8:
		return bounds[T](math.MinInt8, math.MaxInt8)
	case int16:
		return bounds[T](math.MinInt16, math.MaxInt16)
	case int32:
		return bounds[T](math.MinInt32, math.MaxInt32)
	case int64:
		return bounds[T](math.MinInt64, math.MaxInt64)
	}
	hi = 0
	hi-- // unsigned: wraps to the largest value
	return 0, hi
}

func reduceTyped[T number](op redOp, p *reducePlan, dst, src []T) {
	var z T
	_, isF32 := any(z).(float32)
	_, isF64 := any(z).(float64)
	isF := isF32 || isF64
	switch op {
	case redMax, redMin:
		lo, hi := limits[T]()
		r := reducer[T, T]{lo, maxOf[T], func(a T, _ int) T { return a }}
		if op == redMin {
			r.init, r.step = hi, minOf[T]
		}
		reduceRun(p, dst, src, r)
	case redL2, redLogSum, redLogSumExp:
		logLike(op, p, dst, src)
	default:
		if isF {
			if op == redMean && p.count == 0 {
				for i := range dst {
					dst[i] = T(math.NaN())
				}
				return
			}
			sumLike[T, float64](op, p, dst, src)
		} else {
			sumLike[T, int64](op, p, dst, src)
		}
	}
}

// reduce applies op to x over the given (normalised, distinct) axes.
func reduce(op redOp, x *tensor.Tensor, reduced []bool, keep bool) (*tensor.Tensor, error) {
	var shape []int
	for i, d := range x.Shape {
		switch {
		case !reduced[i]:
			shape = append(shape, d)
		case keep:
			shape = append(shape, 1)
		}
	}
	p := newReducePlan(x.Shape, reduced)
	out := tensor.New(x.DType, shape...)
	switch x.DType {
	case tensor.Float32:
		reduceTyped(op, p, out.Data.([]float32), x.Data.([]float32))
	case tensor.Float64:
		reduceTyped(op, p, out.Data.([]float64), x.Data.([]float64))
	case tensor.Int8:
		reduceTyped(op, p, out.Data.([]int8), x.Data.([]int8))
	case tensor.Int16:
		reduceTyped(op, p, out.Data.([]int16), x.Data.([]int16))
	case tensor.Int32:
		reduceTyped(op, p, out.Data.([]int32), x.Data.([]int32))
	case tensor.Int64:
		reduceTyped(op, p, out.Data.([]int64), x.Data.([]int64))
	case tensor.Uint8:
		reduceTyped(op, p, out.Data.([]uint8), x.Data.([]uint8))
	case tensor.Uint16:
		reduceTyped(op, p, out.Data.([]uint16), x.Data.([]uint16))
	case tensor.Uint32:
		reduceTyped(op, p, out.Data.([]uint32), x.Data.([]uint32))
	case tensor.Uint64:
		reduceTyped(op, p, out.Data.([]uint64), x.Data.([]uint64))
	default:
		return nil, errorf("input 0 (data): %s tensors are not supported", x.DType)
	}
	return out, nil
}

// reducedAxes marks the axes to reduce; empty axes mean all of them unless
// noop is set, in which case none.
func reducedAxes(axes []int64, rank int, noop bool, what string) ([]bool, error) {
	red := make([]bool, rank)
	if len(axes) == 0 {
		if !noop {
			for i := range red {
				red[i] = true
			}
		}
		return red, nil
	}
	for _, a := range axes {
		ax, err := kernel.NormalizeAxis(a, rank)
		if err != nil {
			return nil, errorf("%s: %v", what, err)
		}
		if red[ax] {
			return nil, errorf("%s: axis %d is repeated", what, a)
		}
		red[ax] = true
	}
	return red, nil
}

func buildReduce(opType string) kernel.Builder {
	spec := reduceOps[opType]
	return func(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		keep, err := n.AttrInt("keepdims", 1)
		if err != nil {
			return nil, err
		}
		noop, err := n.AttrInt("noop_with_empty_axes", 0)
		if err != nil {
			return nil, err
		}
		axesFromInput := opset >= spec.axesInput
		var attrAxes []int64
		if !axesFromInput {
			if attrAxes, err = n.AttrInts("axes", nil); err != nil {
				return nil, err
			}
			noop = 0
		}
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			x, err := need(inputs, 0, "data")
			if err != nil {
				return nil, err
			}
			axes, what := attrAxes, "attribute axes"
			if axesFromInput {
				what = "input 1 (axes)"
				a, err := optional(inputs, 1, "axes")
				if err != nil {
					return nil, err
				}
				if a != nil {
					if a.DType != tensor.Int64 {
						return nil, errorf("%s must be int64, got %s", what, a.DType)
					}
					axes = a.Int64s()
				}
			}
			red, err := reducedAxes(axes, x.Rank(), noop != 0, what)
			if err != nil {
				return nil, err
			}
			out, err := reduce(spec.op, x, red, keep != 0)
			if err != nil {
				return nil, err
			}
			return one(out), nil
		}), nil
	}
}
