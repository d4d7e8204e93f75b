package mathops

import (
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// better reports whether x should replace best as the extremum so far:
// NaN beats numbers (numpy's argmax/argmin return the first NaN) and ties go
// to the later index only when last is set.
func better[T number](x, best T, wantMax, last bool) bool {
	switch {
	case x != x:
		return best == best || last
	case best != best:
		return false
	case x == best:
		return last
	case wantMax:
		return x > best
	}
	return x < best
}

// argExtreme writes, for src viewed as [outer, axisLen, inner], the index
// along the middle dimension of each extremum (axisLen must be positive).
func argExtreme[T number](dst []int64, src []T, outer, axisLen, inner int, wantMax, last bool) {
	best := make([]T, inner)
	for o := 0; o < outer; o++ {
		x := src[o*axisLen*inner : (o+1)*axisLen*inner]
		d := dst[o*inner : (o+1)*inner]
		copy(best, x[:inner])
		for j := range d {
			d[j] = 0
		}
		for k := 1; k < axisLen; k++ {
			row := x[k*inner : (k+1)*inner]
			for j, v := range row {
				if better(v, best[j], wantMax, last) {
					best[j], d[j] = v, int64(k)
				}
			}
		}
	}
}

func argTyped(x *tensor.Tensor, dst []int64, outer, axisLen, inner int, wantMax, last bool) error {
	switch d := x.Data.(type) {
	case []float32:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []float64:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []int8:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []int16:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []int32:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []int64:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []uint8:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []uint16:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []uint32:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	case []uint64:
		argExtreme(dst, d, outer, axisLen, inner, wantMax, last)
	default:
		return errorf("input 0 (data): %s tensors are not supported", x.DType)
	}
	return nil
}

// splitAt returns the sizes of x viewed as [outer, shape[axis], inner].
func splitAt(shape []int, axis int) (outer, axisLen, inner int) {
	outer, axisLen, inner = 1, shape[axis], 1
	for i, d := range shape {
		if i < axis {
			outer *= d
		} else if i > axis {
			inner *= d
		}
	}
	return outer, axisLen, inner
}

// buildArg handles ArgMax and ArgMin (axis, keepdims, select_last_index).
func buildArg(wantMax bool) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		axis, err := n.AttrInt("axis", 0)
		if err != nil {
			return nil, err
		}
		keep, err := n.AttrInt("keepdims", 1)
		if err != nil {
			return nil, err
		}
		last, err := n.AttrInt("select_last_index", 0)
		if err != nil {
			return nil, err
		}
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			x, err := need(inputs, 0, "data")
			if err != nil {
				return nil, err
			}
			ax, err := kernel.NormalizeAxis(axis, x.Rank())
			if err != nil {
				return nil, errorf("attribute axis: %v", err)
			}
			outer, axisLen, inner := splitAt(x.Shape, ax)
			if axisLen == 0 {
				return nil, errorf("input 0 (data) has no elements along axis %d", axis)
			}
			var shape []int
			for i, d := range x.Shape {
				switch {
				case i != ax:
					shape = append(shape, d)
				case keep != 0:
					shape = append(shape, 1)
				}
			}
			out := tensor.New(tensor.Int64, shape...)
			if err := argTyped(x, out.Int64s(), outer, axisLen, inner, wantMax, last != 0); err != nil {
				return nil, err
			}
			return one(out), nil
		}), nil
	}
}

// buildHardmax handles Hardmax: 1 at the first maximum along the axis (or,
// before opset 13, along the flattened trailing dimensions), 0 elsewhere.
func buildHardmax(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	coerce := opset < 13
	def := int64(-1)
	if coerce {
		def = 1
	}
	axis, err := n.AttrInt("axis", def)
	if err != nil {
		return nil, err
	}
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(inputs, 0, "input")
		if err != nil {
			return nil, err
		}
		ax, err := kernel.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, errorf("attribute axis: %v", err)
		}
		outer, axisLen, inner := splitAt(x.Shape, ax)
		if coerce {
			axisLen *= inner
			inner = 1
		}
		out := tensor.New(x.DType, x.Shape...)
		if axisLen == 0 || outer*inner == 0 {
			return one(out), nil
		}
		idx := make([]int64, outer*inner)
		if err := argTyped(x, idx, outer, axisLen, inner, true, false); err != nil {
			return nil, err
		}
		switch d := out.Data.(type) {
		case []float32:
			setOnes(d, idx, axisLen, inner)
		case []float64:
			setOnes(d, idx, axisLen, inner)
		default:
			return nil, errorf("input 0 (input): %s tensors are not supported (float types only)", x.DType)
		}
		return one(out), nil
	}), nil
}

func setOnes[T float](dst []T, idx []int64, axisLen, inner int) {
	for p, k := range idx {
		o, j := p/inner, p%inner
		dst[(o*axisLen+int(k))*inner+j] = 1
	}
}

// buildCumSum handles CumSum: input 1 is the axis (a scalar), attributes
// exclusive and reverse. Sums accumulate in the element type, like numpy.
func buildCumSum(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	excl, err := n.AttrInt("exclusive", 0)
	if err != nil {
		return nil, err
	}
	rev, err := n.AttrInt("reverse", 0)
	if err != nil {
		return nil, err
	}
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(inputs, 0, "x")
		if err != nil {
			return nil, err
		}
		at, err := need(inputs, 1, "axis")
		if err != nil {
			return nil, err
		}
		if at.Len() != 1 {
			return nil, errorf("input 1 (axis) must be a scalar, has shape %v", at.Shape)
		}
		av, err := toInt64s(at)
		if err != nil {
			return nil, errorf("input 1 (axis): %v", err)
		}
		ax, err := kernel.NormalizeAxis(av[0], x.Rank())
		if err != nil {
			return nil, errorf("input 1 (axis): %v", err)
		}
		outer, axisLen, inner := splitAt(x.Shape, ax)
		out := tensor.New(x.DType, x.Shape...)
		e, r := excl != 0, rev != 0
		switch d := x.Data.(type) {
		case []float32:
			cumsum(out.Data.([]float32), d, outer, axisLen, inner, e, r)
		case []float64:
			cumsum(out.Data.([]float64), d, outer, axisLen, inner, e, r)
		case []int32:
			cumsum(out.Data.([]int32), d, outer, axisLen, inner, e, r)
		case []int64:
			cumsum(out.Data.([]int64), d, outer, axisLen, inner, e, r)
		case []uint32:
			cumsum(out.Data.([]uint32), d, outer, axisLen, inner, e, r)
		case []uint64:
			cumsum(out.Data.([]uint64), d, outer, axisLen, inner, e, r)
		default:
			return nil, errorf("input 0 (x): %s tensors are not supported", x.DType)
		}
		return one(out), nil
	}), nil
}

func cumsum[T number](dst, src []T, outer, axisLen, inner int, exclusive, reverse bool) {
	acc := make([]T, inner)
	for o := 0; o < outer; o++ {
		base := o * axisLen * inner
		for j := range acc {
			acc[j] = 0
		}
		for s := 0; s < axisLen; s++ {
			k := s
			if reverse {
				k = axisLen - 1 - s
			}
			x := src[base+k*inner : base+(k+1)*inner]
			y := dst[base+k*inner : base+(k+1)*inner]
			for j, v := range x {
				if exclusive {
					y[j] = acc[j]
					acc[j] += v
				} else {
					acc[j] += v
					y[j] = acc[j]
				}
			}
		}
	}
}
