package shapeops

import (
	"cmp"
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildExpand(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("Expand: %v", err)
		}
		x := in[0]
		dims, err := intsInput(in[1], "Expand: shape input")
		if err != nil {
			return nil, err
		}
		target, err := checkDims(dims, "Expand: shape input")
		if err != nil {
			return nil, err
		}
		shape, err := broadcastShape(x.Shape, target)
		if err != nil {
			return nil, fmt.Errorf("Expand: %v", err)
		}
		out, err := take(x, shape, broadcastIndex(x.Shape, shape), nil)
		if err != nil {
			return nil, fmt.Errorf("Expand: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildTile(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := kernel.Input(in, 0)
		if x == nil {
			return nil, fmt.Errorf("Tile: input is missing")
		}
		rank := x.Rank()
		var reps []int64
		if opset < 6 {
			// Tile-1: tiles and axis inputs (scalars).
			if err := kernel.NeedInputs(in, 3); err != nil {
				return nil, fmt.Errorf("Tile: %v", err)
			}
			t, err := intsInput(in[1], "Tile: tiles input")
			if err != nil {
				return nil, err
			}
			a, err := intsInput(in[2], "Tile: axis input")
			if err != nil {
				return nil, err
			}
			if len(t) != 1 || len(a) != 1 {
				return nil, fmt.Errorf("Tile: tiles and axis inputs must be scalars")
			}
			ax, err := kernel.NormalizeAxis(a[0], rank)
			if err != nil {
				return nil, fmt.Errorf("Tile: axis input: %v", err)
			}
			reps = make([]int64, rank)
			for i := range reps {
				reps[i] = 1
			}
			reps[ax] = t[0]
		} else {
			if err := kernel.NeedInputs(in, 2); err != nil {
				return nil, fmt.Errorf("Tile: %v", err)
			}
			var err error
			if reps, err = intsInput(in[1], "Tile: repeats input"); err != nil {
				return nil, err
			}
		}
		if len(reps) != rank {
			return nil, fmt.Errorf("Tile: repeats input has %d entries for an input of rank %d", len(reps), rank)
		}
		want := make([]int64, rank)
		for a, r := range reps {
			if r < 0 {
				return nil, fmt.Errorf("Tile: repeats input entry %d is negative (%d)", a, r)
			}
			want[a] = r * int64(x.Shape[a])
		}
		shape, err := checkDims(want, "Tile: output")
		if err != nil {
			return nil, err
		}
		inSt := strides(x.Shape)
		tab := make([][]int, rank)
		for a := range tab {
			t := make([]int, shape[a])
			for i := range t {
				t[i] = (i % x.Shape[a]) * inSt[a]
			}
			tab[a] = t
		}
		out, err := take(x, shape, tableIndex(shape, tab), nil)
		if err != nil {
			return nil, fmt.Errorf("Tile: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildWhere(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, fmt.Errorf("Where: %v", err)
		}
		c, x, y := in[0], in[1], in[2]
		cond, ok := c.Data.([]bool)
		if !ok {
			return nil, fmt.Errorf("Where: condition input has type %s, want bool", c.DType)
		}
		if x.DType != y.DType {
			return nil, fmt.Errorf("Where: X has type %s, Y has %s", x.DType, y.DType)
		}
		shape, err := broadcastShape(c.Shape, x.Shape, y.Shape)
		if err != nil {
			return nil, fmt.Errorf("Where: %v", err)
		}
		ic := broadcastIndex(c.Shape, shape)
		ix := broadcastIndex(x.Shape, shape)
		iy := broadcastIndex(y.Shape, shape)
		// Pick per element the flat index into X (>= 0) or into Y
		// (encoded as -1-i), then gather from each.
		idx := make([]int, len(ic))
		for i := range idx {
			if cond[ic[i]] {
				idx[i] = ix[i]
			} else {
				idx[i] = -1 - iy[i]
			}
		}
		out := tensor.New(x.DType, shape...)
		switch d := out.Data.(type) {
		case []float32:
			whereT(d, x.Data.([]float32), y.Data.([]float32), idx)
		case []float64:
			whereT(d, x.Data.([]float64), y.Data.([]float64), idx)
		case []int8:
			whereT(d, x.Data.([]int8), y.Data.([]int8), idx)
		case []int16:
			whereT(d, x.Data.([]int16), y.Data.([]int16), idx)
		case []int32:
			whereT(d, x.Data.([]int32), y.Data.([]int32), idx)
		case []int64:
			whereT(d, x.Data.([]int64), y.Data.([]int64), idx)
		case []uint8:
			whereT(d, x.Data.([]uint8), y.Data.([]uint8), idx)
		case []uint16:
			whereT(d, x.Data.([]uint16), y.Data.([]uint16), idx)
		case []uint32:
			whereT(d, x.Data.([]uint32), y.Data.([]uint32), idx)
		case []uint64:
			whereT(d, x.Data.([]uint64), y.Data.([]uint64), idx)
		case []bool:
			whereT(d, x.Data.([]bool), y.Data.([]bool), idx)
		case []string:
			whereT(d, x.Data.([]string), y.Data.([]string), idx)
		default:
			return nil, fmt.Errorf("Where: unsupported type %s", x.DType)
		}
		return one(out), nil
	}), nil
}

func whereT[E any](dst, x, y []E, idx []int) {
	for i, j := range idx {
		if j >= 0 {
			dst[i] = x[j]
		} else {
			dst[i] = y[-1-j]
		}
	}
}

func buildRange(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, fmt.Errorf("Range: %v", err)
		}
		names := []string{"start", "limit", "delta"}
		for i, t := range in[:3] {
			if t.Len() != 1 {
				return nil, fmt.Errorf("Range: %s input must be a scalar, has shape %v", names[i], t.Shape)
			}
			if t.DType != in[0].DType {
				return nil, fmt.Errorf("Range: %s input has type %s, start has %s", names[i], t.DType, in[0].DType)
			}
		}
		var out *tensor.Tensor
		var err error
		switch s := in[0].Data.(type) {
		case []float32:
			out, err = rangeT(s[0], in[1].Data.([]float32)[0], in[2].Data.([]float32)[0], true)
		case []float64:
			out, err = rangeT(s[0], in[1].Data.([]float64)[0], in[2].Data.([]float64)[0], true)
		case []int16:
			out, err = rangeT(s[0], in[1].Data.([]int16)[0], in[2].Data.([]int16)[0], false)
		case []int32:
			out, err = rangeT(s[0], in[1].Data.([]int32)[0], in[2].Data.([]int32)[0], false)
		case []int64:
			out, err = rangeT(s[0], in[1].Data.([]int64)[0], in[2].Data.([]int64)[0], false)
		default:
			return nil, fmt.Errorf("Range: unsupported type %s (want float, double, int16, int32 or int64)", in[0].DType)
		}
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func rangeT[T number](start, limit, delta T, isFloat bool) (*tensor.Tensor, error) {
	var zero T
	if delta == zero {
		return nil, fmt.Errorf("Range: delta input is 0")
	}
	var count int64
	if isFloat {
		c := math.Ceil((float64(limit) - float64(start)) / float64(delta))
		if math.IsNaN(c) {
			return nil, fmt.Errorf("Range: element count is NaN")
		}
		if c > 1<<31 {
			return nil, fmt.Errorf("Range: too many elements (%g)", c)
		}
		if c > 0 {
			count = int64(c)
		}
	} else {
		s, l, d := int64(start), int64(limit), int64(delta)
		if d > 0 && l > s {
			count = (l-s-1)/d + 1
		} else if d < 0 && l < s {
			count = (s-l-1)/(-d) + 1
		}
	}
	data := make([]T, count)
	for i := range data {
		data[i] = start + T(i)*delta
	}
	return tensor.MustFromSlice(data, len(data)), nil
}

// Comparison operators.
const (
	cmpEq = iota
	cmpLt
	cmpGt
	cmpLe
	cmpGe
)

func comparison(op string, code int) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := kernel.NeedInputs(in, 2); err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			out, err := compare(in[0], in[1], code)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			return one(out), nil
		}), nil
	}
}

func compare(a, b *tensor.Tensor, op int) (*tensor.Tensor, error) {
	if a.DType != b.DType {
		return nil, fmt.Errorf("inputs have types %s and %s", a.DType, b.DType)
	}
	shape, err := broadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if a.DType == tensor.Float16 {
		if a, err = castTensor(a, tensor.Float32); err != nil {
			return nil, err
		}
		if b, err = castTensor(b, tensor.Float32); err != nil {
			return nil, err
		}
	}
	ia := broadcastIndex(a.Shape, shape)
	ib := broadcastIndex(b.Shape, shape)
	out := tensor.New(tensor.Bool, shape...)
	r := out.Data.([]bool)
	switch x := a.Data.(type) {
	case []float32:
		cmpT(r, x, b.Data.([]float32), ia, ib, op)
	case []float64:
		cmpT(r, x, b.Data.([]float64), ia, ib, op)
	case []int8:
		cmpT(r, x, b.Data.([]int8), ia, ib, op)
	case []int16:
		cmpT(r, x, b.Data.([]int16), ia, ib, op)
	case []int32:
		cmpT(r, x, b.Data.([]int32), ia, ib, op)
	case []int64:
		cmpT(r, x, b.Data.([]int64), ia, ib, op)
	case []uint8:
		cmpT(r, x, b.Data.([]uint8), ia, ib, op)
	case []uint16:
		cmpT(r, x, b.Data.([]uint16), ia, ib, op)
	case []uint32:
		cmpT(r, x, b.Data.([]uint32), ia, ib, op)
	case []uint64:
		cmpT(r, x, b.Data.([]uint64), ia, ib, op)
	case []string:
		if op != cmpEq {
			return nil, fmt.Errorf("strings support only Equal")
		}
		cmpT(r, x, b.Data.([]string), ia, ib, op)
	case []bool:
		if op != cmpEq {
			return nil, fmt.Errorf("bools support only Equal")
		}
		y := b.Data.([]bool)
		for i := range r {
			r[i] = x[ia[i]] == y[ib[i]]
		}
	default:
		return nil, fmt.Errorf("unsupported type %s", a.DType)
	}
	return out, nil
}

func cmpT[T cmp.Ordered](r []bool, a, b []T, ia, ib []int, op int) {
	switch op {
	case cmpEq:
		for i := range r {
			r[i] = a[ia[i]] == b[ib[i]]
		}
	case cmpLt:
		for i := range r {
			r[i] = a[ia[i]] < b[ib[i]]
		}
	case cmpGt:
		for i := range r {
			r[i] = a[ia[i]] > b[ib[i]]
		}
	case cmpLe:
		for i := range r {
			r[i] = a[ia[i]] <= b[ib[i]]
		}
	case cmpGe:
		for i := range r {
			r[i] = a[ia[i]] >= b[ib[i]]
		}
	}
}
