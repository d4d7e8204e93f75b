package mathops

import (
	"fmt"

	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Type sets of the generic kernels.
type (
	float  interface{ ~float32 | ~float64 }
	signed interface {
		~int8 | ~int16 | ~int32 | ~int64
	}
	unsigned interface {
		~uint8 | ~uint16 | ~uint32 | ~uint64
	}
	integer interface{ signed | unsigned }
	number  interface{ float | integer }
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// need returns input i after checking that it is present and well formed.
func need(inputs []*tensor.Tensor, i int, name string) (*tensor.Tensor, error) {
	t := kernel.Input(inputs, i)
	if t == nil {
		return nil, errorf("missing required input %d (%s)", i, name)
	}
	if err := t.Check(); err != nil {
		return nil, errorf("input %d (%s): %v", i, name, err)
	}
	return t, nil
}

// optional returns input i, or nil when it is absent; present inputs are checked.
func optional(inputs []*tensor.Tensor, i int, name string) (*tensor.Tensor, error) {
	t := kernel.Input(inputs, i)
	if t == nil {
		return nil, nil
	}
	if err := t.Check(); err != nil {
		return nil, errorf("input %d (%s): %v", i, name, err)
	}
	return t, nil
}

func isFloat(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float64 || dt == tensor.Float16
}

func isNumeric(dt tensor.DType) bool {
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Float16,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
		tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64:
		return true
	}
	return false
}

func isSigned(dt tensor.DType) bool {
	switch dt {
	case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64:
		return true
	}
	return isFloat(dt)
}

func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

// toFloat64s widens any numeric tensor's data to float64.
func toFloat64s(t *tensor.Tensor) ([]float64, error) {
	switch d := t.Data.(type) {
	case []float32:
		return widen[float32, float64](d), nil
	case []float64:
		return d, nil
	case []int8:
		return widen[int8, float64](d), nil
	case []int16:
		return widen[int16, float64](d), nil
	case []int32:
		return widen[int32, float64](d), nil
	case []int64:
		return widen[int64, float64](d), nil
	case []uint8:
		return widen[uint8, float64](d), nil
	case []uint16:
		if t.DType == tensor.Float16 {
			out := make([]float64, len(d))
			for i, h := range d {
				out[i] = float64(tensor.HalfToFloat32(h))
			}
			return out, nil
		}
		return widen[uint16, float64](d), nil
	case []uint32:
		return widen[uint32, float64](d), nil
	case []uint64:
		return widen[uint64, float64](d), nil
	}
	return nil, errorf("%s is not a numeric type", t.DType)
}

// toInt64s converts an integer tensor's data to int64 (uint64 wraps).
func toInt64s(t *tensor.Tensor) ([]int64, error) {
	switch d := t.Data.(type) {
	case []int8:
		return widen[int8, int64](d), nil
	case []int16:
		return widen[int16, int64](d), nil
	case []int32:
		return widen[int32, int64](d), nil
	case []int64:
		return d, nil
	case []uint8:
		return widen[uint8, int64](d), nil
	case []uint16:
		if t.DType == tensor.Float16 {
			break
		}
		return widen[uint16, int64](d), nil
	case []uint32:
		return widen[uint32, int64](d), nil
	case []uint64:
		return widen[uint64, int64](d), nil
	}
	return nil, errorf("%s is not an integer type", t.DType)
}

func widen[S, D number](src []S) []D {
	dst := make([]D, len(src))
	for i, v := range src {
		dst[i] = D(v)
	}
	return dst
}
