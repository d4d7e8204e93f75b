// Package logic implements ONNX's logical and bitwise operators (And, Or,
// Xor, Not, BitShift), the float classifiers IsInf and IsNaN, and Size.
package logic

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("And", buildBool(func(a, b bool) bool { return a && b }))
	add("Or", buildBool(func(a, b bool) bool { return a || b }))
	add("Xor", buildBool(func(a, b bool) bool { return a != b }))
	add("Not", buildNot)
	add("BitShift", buildBitShift)
	add("IsInf", buildIsInf)
	add("IsNaN", buildIsNaN)
	add("Size", buildSize)
}

// checkLegacyBroadcast rejects the opset < 7 form that broadcasts from a
// given axis, which papdl does not implement (numpy broadcasting covers the
// default, trailing-axes case).
func checkLegacyBroadcast(n *onnx.Node, opset int64) error {
	if opset >= 7 {
		return nil
	}
	if _, ok := n.Attr("axis"); ok {
		return fmt.Errorf("legacy broadcast with an axis attribute is not supported")
	}
	return nil
}

// broadcast2 returns the output shape and each operand's source index per
// output element.
func broadcast2(a, b *tensor.Tensor) ([]int, []int, []int, error) {
	shape, err := kernel.BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, nil, nil, err
	}
	return shape, kernel.BroadcastIndex(a.Shape, shape), kernel.BroadcastIndex(b.Shape, shape), nil
}

func buildBool(f func(a, b bool) bool) kernel.Builder {
	return func(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		if err := checkLegacyBroadcast(n, opset); err != nil {
			return nil, err
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := kernel.NeedInputs(in, 2); err != nil {
				return nil, err
			}
			a, b := in[0], in[1]
			if a.DType != tensor.Bool || b.DType != tensor.Bool {
				return nil, fmt.Errorf("inputs have types %s and %s, want bool", a.DType, b.DType)
			}
			shape, ia, ib, err := broadcast2(a, b)
			if err != nil {
				return nil, err
			}
			out := tensor.New(tensor.Bool, shape...)
			r, av, bv := out.Bools(), a.Bools(), b.Bools()
			for i := range r {
				r[i] = f(av[ia[i]], bv[ib[i]])
			}
			return []*tensor.Tensor{out}, nil
		}), nil
	}
}

func buildNot(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.DType != tensor.Bool {
			return nil, fmt.Errorf("input has type %s, want bool", x.DType)
		}
		out := tensor.New(tensor.Bool, x.Shape...)
		for i, v := range x.Bools() {
			out.Bools()[i] = !v
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func buildBitShift(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	dir, err := n.AttrString("direction", "")
	if err != nil {
		return nil, err
	}
	if dir != "LEFT" && dir != "RIGHT" {
		return nil, fmt.Errorf("direction = %q, want LEFT or RIGHT", dir)
	}
	left := dir == "LEFT"
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x, y := in[0], in[1]
		if x.DType != y.DType {
			return nil, fmt.Errorf("inputs have types %s and %s", x.DType, y.DType)
		}
		shape, ix, iy, err := broadcast2(x, y)
		if err != nil {
			return nil, err
		}
		out := tensor.New(x.DType, shape...)
		switch xd := x.Data.(type) {
		case []uint8:
			shift(out.Data.([]uint8), xd, y.Data.([]uint8), ix, iy, left)
		case []uint16:
			if x.DType != tensor.Uint16 {
				return nil, fmt.Errorf("input has type %s, want an unsigned integer type", x.DType)
			}
			shift(out.Data.([]uint16), xd, y.Data.([]uint16), ix, iy, left)
		case []uint32:
			shift(out.Data.([]uint32), xd, y.Data.([]uint32), ix, iy, left)
		case []uint64:
			shift(out.Data.([]uint64), xd, y.Data.([]uint64), ix, iy, left)
		default:
			return nil, fmt.Errorf("input has type %s, want an unsigned integer type", x.DType)
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

// shift computes r[i] = x << y or x >> y with broadcasting; shifts of at
// least the type's width give 0 (Go semantics).
func shift[T uint8 | uint16 | uint32 | uint64](r, x, y []T, ix, iy []int, left bool) {
	for i := range r {
		if left {
			r[i] = x[ix[i]] << y[iy[i]]
		} else {
			r[i] = x[ix[i]] >> y[iy[i]]
		}
	}
}

func buildIsInf(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	neg, err := n.AttrInt("detect_negative", 1)
	if err != nil {
		return nil, err
	}
	pos, err := n.AttrInt("detect_positive", 1)
	if err != nil {
		return nil, err
	}
	return classify(func(v float64) bool {
		return (pos != 0 && math.IsInf(v, 1)) || (neg != 0 && math.IsInf(v, -1))
	}), nil
}

func buildIsNaN(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return classify(math.IsNaN), nil
}

func classify(f func(float64) bool) kernel.Kernel {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("input has type %s, want a float type", x.DType)
		}
		v, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		out := tensor.New(tensor.Bool, x.Shape...)
		for i, e := range v {
			out.Bools()[i] = f(e)
		}
		return []*tensor.Tensor{out}, nil
	})
}

func buildSize(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		out := tensor.New(tensor.Int64)
		out.Int64s()[0] = int64(in[0].Len())
		return []*tensor.Tensor{out}, nil
	}), nil
}
