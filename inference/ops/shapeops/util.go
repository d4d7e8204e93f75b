package shapeops

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// intsOf reads an integer tensor (int32 or int64, as ONNX allows for index
// inputs) as int64 values. what names the input in errors.
func intsOf(t *tensor.Tensor, what string) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has type %s, want int64 or int32", what, t.DType)
}

// intsInput reads a 1-D (or scalar) integer input.
func intsInput(t *tensor.Tensor, what string) ([]int64, error) {
	if t != nil && t.Rank() > 1 {
		return nil, fmt.Errorf("%s must be 1-D, has shape %v", what, t.Shape)
	}
	return intsOf(t, what)
}

// strides returns C-order strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// prod multiplies the dimensions of shape.
func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// normAxes normalizes a list of possibly negative axes into [0, rank) and
// rejects duplicates. what names the attribute or input.
func normAxes(axes []int64, rank int, what string) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		v := a
		if v < 0 {
			v += int64(rank)
		}
		if v < 0 || v >= int64(rank) {
			return nil, fmt.Errorf("%s: axis %d out of range for rank %d", what, a, rank)
		}
		if seen[v] {
			return nil, fmt.Errorf("%s: axis %d appears twice", what, a)
		}
		seen[v] = true
		out[i] = int(v)
	}
	return out, nil
}

// checkDims rejects negative or absurdly large target dimensions coming from
// a model.
func checkDims(shape []int64, what string) ([]int, error) {
	out := make([]int, len(shape))
	total := int64(1)
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("%s: negative dimension %d at index %d", what, d, i)
		}
		if d > 0 && total > math.MaxInt32*int64(1<<16)/d {
			return nil, fmt.Errorf("%s: shape %v is too large", what, shape)
		}
		total *= d
		out[i] = int(d)
	}
	return out, nil
}

// attrIntsOpt returns an INTS attribute and whether it was present.
func attrIntsOpt(n *onnx.Node, name string) ([]int64, bool, error) {
	if _, ok := n.Attr(name); !ok {
		return nil, false, nil
	}
	v, err := n.AttrInts(name, nil)
	return v, true, err
}

// take builds a tensor of the given shape whose element i is
// src.Data[idx[i]]; a negative idx[i] selects fill's first element (the zero
// value when fill is nil). fill must have src's dtype.
func take(src *tensor.Tensor, shape []int, idx []int, fill *tensor.Tensor) (*tensor.Tensor, error) {
	out := tensor.New(src.DType, shape...)
	var f any
	if fill != nil {
		if fill.DType != src.DType && !(isU16(fill.DType) && isU16(src.DType)) {
			return nil, fmt.Errorf("fill value has type %s, data has %s", fill.DType, src.DType)
		}
		if fill.Len() < 1 {
			return nil, fmt.Errorf("fill value is empty")
		}
		f = fill.Data
	}
	switch s := src.Data.(type) {
	case []float32:
		takeT(out.Data.([]float32), s, idx, f)
	case []float64:
		takeT(out.Data.([]float64), s, idx, f)
	case []int8:
		takeT(out.Data.([]int8), s, idx, f)
	case []int16:
		takeT(out.Data.([]int16), s, idx, f)
	case []int32:
		takeT(out.Data.([]int32), s, idx, f)
	case []int64:
		takeT(out.Data.([]int64), s, idx, f)
	case []uint8:
		takeT(out.Data.([]uint8), s, idx, f)
	case []uint16:
		takeT(out.Data.([]uint16), s, idx, f)
	case []uint32:
		takeT(out.Data.([]uint32), s, idx, f)
	case []uint64:
		takeT(out.Data.([]uint64), s, idx, f)
	case []bool:
		takeT(out.Data.([]bool), s, idx, f)
	case []string:
		takeT(out.Data.([]string), s, idx, f)
	default:
		return nil, fmt.Errorf("unsupported data type %s", src.DType)
	}
	return out, nil
}

func isU16(d tensor.DType) bool { return d == tensor.Float16 || d == tensor.Uint16 }

func takeT[E any](dst, src []E, idx []int, fill any) {
	var fv E
	if fill != nil {
		fv = fill.([]E)[0]
	}
	for i, j := range idx {
		if j < 0 {
			dst[i] = fv
		} else {
			dst[i] = src[j]
		}
	}
}

// copier copies n elements from a source tensor's data at so to a
// destination's at do.
type copier func(do, so, n int)

// newCopier returns a copier from src to dst, which must hold the same Go
// slice type.
func newCopier(dst, src *tensor.Tensor) (copier, error) {
	switch d := dst.Data.(type) {
	case []float32:
		return copierT(d, src.Data)
	case []float64:
		return copierT(d, src.Data)
	case []int8:
		return copierT(d, src.Data)
	case []int16:
		return copierT(d, src.Data)
	case []int32:
		return copierT(d, src.Data)
	case []int64:
		return copierT(d, src.Data)
	case []uint8:
		return copierT(d, src.Data)
	case []uint16:
		return copierT(d, src.Data)
	case []uint32:
		return copierT(d, src.Data)
	case []uint64:
		return copierT(d, src.Data)
	case []bool:
		return copierT(d, src.Data)
	case []string:
		return copierT(d, src.Data)
	}
	return nil, fmt.Errorf("unsupported data type %s", dst.DType)
}

func copierT[E any](dst []E, src any) (copier, error) {
	s, ok := src.([]E)
	if !ok {
		return nil, fmt.Errorf("data type mismatch: %T vs %T", src, dst)
	}
	return func(do, so, n int) { copy(dst[do:do+n], s[so:so+n]) }, nil
}
