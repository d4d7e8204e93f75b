package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// powFloat raises a float base to a float64 exponent, computing in float64
// and rounding once to T (numpy promotes mixed float/int powers the same way).
func powFloat[T float](x T, y float64) T { return T(math.Pow(float64(x), y)) }

// powInt raises an integer base to an integer exponent with wrapping
// multiplication (numpy's integer power). Negative exponents give the
// truncated value of 1/x^|y|: 1 for x = 1, ±1 for x = -1, 0 otherwise.
func powInt[T integer](x T, y int64) T {
	if y < 0 {
		switch {
		case x == 1:
			return 1
		case x == 0:
			return 0
		case x+1 == 0 && x < 0: // x == -1 for signed types
			if y%2 == 0 {
				return 1
			}
			return x
		}
		return 0
	}
	r := T(1)
	for y > 0 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}

// powIntByFloat raises an integer base to a float exponent in float64 and
// truncates the result to T (numpy's power(int, float).astype(int)).
func powIntByFloat[T integer](x T, y float64) T {
	v := math.Pow(float64(x), y)
	if math.IsNaN(v) {
		return 0
	}
	return T(v)
}

func powFloatTyped[T float](p *bcast, out, a *tensor.Tensor, e []float64) {
	run2(p, out.Data.([]T), a.Data.([]T), e, elementwise(powFloat[T]))
}

func powIntTyped[T integer](p *bcast, out, a, b *tensor.Tensor) error {
	if isFloat(b.DType) {
		e, err := toFloat64s(b)
		if err != nil {
			return err
		}
		run2(p, out.Data.([]T), a.Data.([]T), e, elementwise(powIntByFloat[T]))
		return nil
	}
	e, err := toInt64s(b)
	if err != nil {
		return errorf("input 1 (Y): %v", err)
	}
	run2(p, out.Data.([]T), a.Data.([]T), e, elementwise(powInt[T]))
	return nil
}

func buildPow(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	legacy, err := legacyBroadcast(n, opset)
	if err != nil {
		return nil, err
	}
	return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(inputs, 0, "X")
		if err != nil {
			return nil, err
		}
		y, err := need(inputs, 1, "Y")
		if err != nil {
			return nil, err
		}
		if y, err = legacy(x, y); err != nil {
			return nil, err
		}
		if !isNumeric(y.DType) {
			return nil, errorf("input 1 (Y): %s tensors are not supported", y.DType)
		}
		p, err := newBcast(x.Shape, y.Shape)
		if err != nil {
			return nil, err
		}
		out := tensor.New(x.DType, p.out...)
		switch x.DType {
		case tensor.Float32, tensor.Float64:
			e, err := toFloat64s(y)
			if err != nil {
				return nil, errorf("input 1 (Y): %v", err)
			}
			if x.DType == tensor.Float32 {
				powFloatTyped[float32](p, out, x, e)
			} else {
				powFloatTyped[float64](p, out, x, e)
			}
		case tensor.Int8:
			err = powIntTyped[int8](p, out, x, y)
		case tensor.Int16:
			err = powIntTyped[int16](p, out, x, y)
		case tensor.Int32:
			err = powIntTyped[int32](p, out, x, y)
		case tensor.Int64:
			err = powIntTyped[int64](p, out, x, y)
		case tensor.Uint8:
			err = powIntTyped[uint8](p, out, x, y)
		case tensor.Uint16:
			err = powIntTyped[uint16](p, out, x, y)
		case tensor.Uint32:
			err = powIntTyped[uint32](p, out, x, y)
		case tensor.Uint64:
			err = powIntTyped[uint64](p, out, x, y)
		default:
			return nil, errorf("input 0 (X): %s tensors are not supported", x.DType)
		}
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}
