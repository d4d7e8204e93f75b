package shapeops

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// typeByName maps the string form of Cast-1's "to" attribute.
func typeByName(name string) (tensor.DType, bool) {
	switch strings.ToUpper(name) {
	case "FLOAT":
		return tensor.Float32, true
	case "DOUBLE":
		return tensor.Float64, true
	case "FLOAT16":
		return tensor.Float16, true
	case "UINT8":
		return tensor.Uint8, true
	case "INT8":
		return tensor.Int8, true
	case "UINT16":
		return tensor.Uint16, true
	case "INT16":
		return tensor.Int16, true
	case "UINT32":
		return tensor.Uint32, true
	case "INT32":
		return tensor.Int32, true
	case "UINT64":
		return tensor.Uint64, true
	case "INT64":
		return tensor.Int64, true
	case "STRING":
		return tensor.String, true
	case "BOOL":
		return tensor.Bool, true
	}
	return tensor.Undefined, false
}

func buildCast(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	a, ok := n.Attr("to")
	if !ok {
		return nil, fmt.Errorf("Cast: attribute to is required")
	}
	var to tensor.DType
	switch a.Type {
	case onnx.AttrInt:
		to = tensor.DType(a.I)
	case onnx.AttrString:
		d, ok := typeByName(string(a.S))
		if !ok {
			return nil, fmt.Errorf("Cast: attribute to names unknown type %q", a.S)
		}
		to = d
	default:
		return nil, fmt.Errorf("Cast: attribute to has type %d, want int", a.Type)
	}
	if !to.Valid() {
		return nil, fmt.Errorf("Cast: attribute to is unsupported data type %d", int32(to))
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Cast: %v", err)
		}
		out, err := castTensor(in[0], to)
		if err != nil {
			return nil, fmt.Errorf("Cast: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildCastLike(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("CastLike: %v", err)
		}
		out, err := castTensor(in[0], in[1].DType)
		if err != nil {
			return nil, fmt.Errorf("CastLike: %v", err)
		}
		return one(out), nil
	}), nil
}

// castScalarFloat reads a one-element numeric tensor as float64.
func castScalarFloat(t *tensor.Tensor) (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("want one element, got shape %v", t.Shape)
	}
	v, err := castTensor(t, tensor.Float64)
	if err != nil {
		return 0, err
	}
	return v.Data.([]float64)[0], nil
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// castTensor converts x to type to with ONNX Cast semantics. When the types
// already match, x itself is returned.
func castTensor(x *tensor.Tensor, to tensor.DType) (*tensor.Tensor, error) {
	if x.DType == to {
		return x, nil
	}
	if !to.Valid() {
		return nil, fmt.Errorf("unsupported target type %s", to)
	}
	var data any
	var err error
	switch s := x.Data.(type) {
	case []float32:
		data, err = castFrom(s, true, to)
	case []float64:
		data, err = castFrom(s, true, to)
	case []int8:
		data, err = castFrom(s, false, to)
	case []int16:
		data, err = castFrom(s, false, to)
	case []int32:
		data, err = castFrom(s, false, to)
	case []int64:
		data, err = castFrom(s, false, to)
	case []uint8:
		data, err = castFrom(s, false, to)
	case []uint16:
		if x.DType == tensor.Float16 || x.DType == tensor.BFloat16 {
			f := make([]float32, len(s))
			for i, h := range s {
				if x.DType == tensor.BFloat16 {
					f[i] = tensor.BFloat16ToFloat32(h)
				} else {
					f[i] = tensor.HalfToFloat32(h)
				}
			}
			data, err = castFrom(f, true, to)
		} else {
			data, err = castFrom(s, false, to)
		}
	case []uint32:
		data, err = castFrom(s, false, to)
	case []uint64:
		data, err = castFrom(s, false, to)
	case []bool:
		if to == tensor.String {
			str := make([]string, len(s))
			for i, v := range s {
				str[i] = strconv.FormatBool(v)
			}
			data = str
			break
		}
		u := make([]uint8, len(s))
		for i, v := range s {
			if v {
				u[i] = 1
			}
		}
		data, err = castFrom(u, false, to)
	case []string:
		data, err = castFromString(s, to)
	default:
		return nil, fmt.Errorf("unsupported input type %s", x.DType)
	}
	if err != nil {
		return nil, err
	}
	return &tensor.Tensor{DType: to, Shape: append([]int{}, x.Shape...), Data: data}, nil
}

func castFrom[S number](src []S, isFloat bool, to tensor.DType) (any, error) {
	switch to {
	case tensor.Float32:
		return convert[float32](src), nil
	case tensor.Float64:
		return convert[float64](src), nil
	case tensor.Float16:
		out := make([]uint16, len(src))
		for i, v := range src {
			out[i] = tensor.HalfFromFloat64(float64(v))
		}
		return out, nil
	case tensor.BFloat16:
		// Through float32: exact for float32 and small integer sources.
		out := make([]uint16, len(src))
		for i, v := range src {
			out[i] = tensor.BFloat16FromFloat32(float32(v))
		}
		return out, nil
	case tensor.Int8:
		return convertInt[int8](src, isFloat), nil
	case tensor.Int16:
		return convertInt[int16](src, isFloat), nil
	case tensor.Int32:
		return convertInt[int32](src, isFloat), nil
	case tensor.Int64:
		return convert[int64](src), nil
	case tensor.Uint8:
		return convertInt[uint8](src, isFloat), nil
	case tensor.Uint16:
		return convertInt[uint16](src, isFloat), nil
	case tensor.Uint32:
		return convertInt[uint32](src, isFloat), nil
	case tensor.Uint64:
		out := make([]uint64, len(src))
		for i, v := range src {
			if isFloat && float64(v) >= 1<<63 {
				out[i] = uint64(float64(v))
			} else {
				out[i] = uint64(int64(v))
			}
		}
		return out, nil
	case tensor.Bool:
		out := make([]bool, len(src))
		for i, v := range src {
			out[i] = v != 0
		}
		return out, nil
	case tensor.String:
		out := make([]string, len(src))
		for i, v := range src {
			out[i] = formatNumber(v, isFloat)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported target type %s", to)
}

// convert is Go's numeric conversion: integers wrap, int->float and
// float64->float32 round to nearest even, float->int truncates toward zero.
func convert[D, S number](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}

// convertInt converts to a narrow integer type; floats go through int64
// first (truncating toward zero) so that out-of-range values wrap the same
// way on every platform.
func convertInt[D, S number](src []S, isFloat bool) []D {
	out := make([]D, len(src))
	for i, v := range src {
		if isFloat {
			out[i] = D(int64(v))
		} else {
			out[i] = D(v)
		}
	}
	return out
}

func formatNumber[S number](v S, isFloat bool) string {
	if !isFloat {
		var zero S
		if v < zero {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatUint(uint64(v), 10)
	}
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	bits := 64
	if _, ok := any(v).(float32); ok {
		bits = 32
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

func castFromString(src []string, to tensor.DType) (any, error) {
	switch to {
	case tensor.Float32:
		out := make([]float32, len(src))
		for i, s := range src {
			v, err := parseFloat(s, 32)
			if err != nil {
				return nil, err
			}
			out[i] = float32(v)
		}
		return out, nil
	case tensor.Float64, tensor.Float16, tensor.BFloat16:
		f := make([]float64, len(src))
		for i, s := range src {
			v, err := parseFloat(s, 64)
			if err != nil {
				return nil, err
			}
			f[i] = v
		}
		return castFrom(f, true, to)
	case tensor.Bool:
		out := make([]bool, len(src))
		for i, s := range src {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				out[i] = true
				continue
			case "false":
				continue
			}
			v, err := parseFloat(s, 64)
			if err != nil {
				return nil, err
			}
			out[i] = v != 0
		}
		return out, nil
	}
	// Integers: exact parse when possible, else truncate a float.
	ints := make([]int64, len(src))
	for i, s := range src {
		t := strings.TrimSpace(s)
		if v, err := strconv.ParseInt(t, 10, 64); err == nil {
			ints[i] = v
			continue
		}
		if v, err := strconv.ParseUint(t, 10, 64); err == nil {
			ints[i] = int64(v) // wraps back for uint64 targets
			continue
		}
		v, err := parseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		ints[i] = int64(v)
	}
	return castFrom(ints, false, to)
}

func parseFloat(s string, bits int) (float64, error) {
	t := strings.TrimSpace(s)
	v, err := strconv.ParseFloat(t, bits)
	if err != nil {
		// ParseFloat reports out-of-range values as ±Inf with an error:
		// keep the infinity like strtod does.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, nil
		}
		return 0, fmt.Errorf("cannot parse string %q as a number", s)
	}
	return v, nil
}
