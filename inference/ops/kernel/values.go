package kernel

import (
	"fmt"

	"github.com/papdl/papdl/inference/tensor"
)

// IsFloat reports whether dt is one of the floating-point types.
func IsFloat(dt tensor.DType) bool {
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		return true
	}
	return false
}

// Floats widens a numeric tensor's elements to float64 (a copy, except for
// float64 data, which is returned as is and must not be modified).
func Floats(t *tensor.Tensor) ([]float64, error) {
	switch d := t.Data.(type) {
	case []float64:
		return d, nil
	case []float32:
		return widen(d), nil
	case []int8:
		return widen(d), nil
	case []int16:
		return widen(d), nil
	case []int32:
		return widen(d), nil
	case []int64:
		return widen(d), nil
	case []uint8:
		return widen(d), nil
	case []uint32:
		return widen(d), nil
	case []uint64:
		return widen(d), nil
	case []uint16:
		out := make([]float64, len(d))
		for i, b := range d {
			switch t.DType {
			case tensor.Float16:
				out[i] = float64(tensor.HalfToFloat32(b))
			case tensor.BFloat16:
				out[i] = float64(tensor.BFloat16ToFloat32(b))
			default:
				out[i] = float64(b)
			}
		}
		return out, nil
	case []bool:
		out := make([]float64, len(d))
		for i, b := range d {
			if b {
				out[i] = 1
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not a numeric type", t.DType)
}

func widen[S int8 | int16 | int32 | int64 | uint8 | uint32 | uint64 | float32](s []S) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// FromFloats builds a tensor of type dt from float64 values: floats are
// rounded to nearest (even), integers are truncated toward zero after a
// check for NaN, booleans are v != 0.
func FromFloats(dt tensor.DType, shape []int, v []float64) (*tensor.Tensor, error) {
	out := tensor.New(dt, shape...)
	if out.Len() != len(v) {
		return nil, fmt.Errorf("%d values for shape %v", len(v), shape)
	}
	switch d := out.Data.(type) {
	case []float64:
		copy(d, v)
	case []float32:
		narrow(d, v)
	case []int8:
		narrow(d, v)
	case []int16:
		narrow(d, v)
	case []int32:
		narrow(d, v)
	case []int64:
		narrow(d, v)
	case []uint8:
		narrow(d, v)
	case []uint32:
		narrow(d, v)
	case []uint64:
		narrow(d, v)
	case []uint16:
		for i, x := range v {
			switch dt {
			case tensor.Float16:
				d[i] = tensor.HalfFromFloat64(x)
			case tensor.BFloat16:
				d[i] = tensor.BFloat16FromFloat32(float32(x))
			default:
				d[i] = uint16(x)
			}
		}
	case []bool:
		for i, x := range v {
			d[i] = x != 0
		}
	default:
		return nil, fmt.Errorf("%s is not a numeric type", dt)
	}
	return out, nil
}

func narrow[D int8 | int16 | int32 | int64 | uint8 | uint32 | uint64 | float32](d []D, v []float64) {
	for i, x := range v {
		d[i] = D(x)
	}
}

// Ints reads an integer tensor's elements as int64.
func Ints(t *tensor.Tensor) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("missing integer input")
	}
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		return intsOf(d), nil
	case []int16:
		return intsOf(d), nil
	case []int8:
		return intsOf(d), nil
	case []uint8:
		return intsOf(d), nil
	case []uint32:
		return intsOf(d), nil
	case []uint64:
		return intsOf(d), nil
	case []uint16:
		if t.DType == tensor.Uint16 {
			return intsOf(d), nil
		}
	}
	return nil, fmt.Errorf("type %s is not an integer type", t.DType)
}

func intsOf[S int8 | int16 | int32 | uint8 | uint16 | uint32 | uint64](s []S) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// Strides returns the C-order element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Take builds a tensor of the given shape and src's type whose element i is
// src's element idx[i], or the zero value where idx[i] < 0.
func Take(src *tensor.Tensor, shape []int, idx []int) (*tensor.Tensor, error) {
	out := tensor.New(src.DType, shape...)
	if out.Len() != len(idx) {
		return nil, fmt.Errorf("%d indices for shape %v", len(idx), shape)
	}
	switch s := src.Data.(type) {
	case []float32:
		takeT(out.Data.([]float32), s, idx)
	case []float64:
		takeT(out.Data.([]float64), s, idx)
	case []int8:
		takeT(out.Data.([]int8), s, idx)
	case []int16:
		takeT(out.Data.([]int16), s, idx)
	case []int32:
		takeT(out.Data.([]int32), s, idx)
	case []int64:
		takeT(out.Data.([]int64), s, idx)
	case []uint8:
		takeT(out.Data.([]uint8), s, idx)
	case []uint16:
		takeT(out.Data.([]uint16), s, idx)
	case []uint32:
		takeT(out.Data.([]uint32), s, idx)
	case []uint64:
		takeT(out.Data.([]uint64), s, idx)
	case []bool:
		takeT(out.Data.([]bool), s, idx)
	case []string:
		takeT(out.Data.([]string), s, idx)
	default:
		return nil, fmt.Errorf("unsupported data type %s", src.DType)
	}
	return out, nil
}

func takeT[E any](dst, src []E, idx []int) {
	for i, j := range idx {
		if j >= 0 {
			dst[i] = src[j]
		}
	}
}

// Put writes src's element i to dst's element idx[i], in order (a later
// write to the same position wins). dst and src must have the same type.
func Put(dst, src *tensor.Tensor, idx []int) error {
	if dst.DType != src.DType {
		return fmt.Errorf("updates have type %s, data has %s", src.DType, dst.DType)
	}
	switch d := dst.Data.(type) {
	case []float32:
		putT(d, src.Data.([]float32), idx)
	case []float64:
		putT(d, src.Data.([]float64), idx)
	case []int8:
		putT(d, src.Data.([]int8), idx)
	case []int16:
		putT(d, src.Data.([]int16), idx)
	case []int32:
		putT(d, src.Data.([]int32), idx)
	case []int64:
		putT(d, src.Data.([]int64), idx)
	case []uint8:
		putT(d, src.Data.([]uint8), idx)
	case []uint16:
		putT(d, src.Data.([]uint16), idx)
	case []uint32:
		putT(d, src.Data.([]uint32), idx)
	case []uint64:
		putT(d, src.Data.([]uint64), idx)
	case []bool:
		putT(d, src.Data.([]bool), idx)
	case []string:
		putT(d, src.Data.([]string), idx)
	default:
		return fmt.Errorf("unsupported data type %s", dst.DType)
	}
	return nil
}

func putT[E any](dst, src []E, idx []int) {
	for i, j := range idx {
		dst[j] = src[i]
	}
}

// BroadcastShape returns the multidirectional (numpy) broadcast of shapes.
func BroadcastShape(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast (dimension %d vs %d)", shapes, o, d)
			}
		}
	}
	return out, nil
}

// BroadcastIndex returns, for each element of a tensor of shape out (C
// order), the flat index of the element of a tensor of shape in that
// broadcasts to it. in must broadcast to out.
func BroadcastIndex(in, out []int) []int {
	n := tensor.NumElements(out)
	idx := make([]int, n)
	rank := len(out)
	st := make([]int, rank)
	inSt := Strides(in)
	off := rank - len(in)
	for i := range in {
		if in[i] != 1 {
			st[off+i] = inSt[i]
		}
	}
	coord := make([]int, rank)
	base := 0
	for p := 0; p < n; p++ {
		idx[p] = base
		for a := rank - 1; a >= 0; a-- {
			coord[a]++
			base += st[a]
			if coord[a] < out[a] {
				break
			}
			base -= st[a] * coord[a]
			coord[a] = 0
		}
	}
	return idx
}
