package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// one wraps a single output.
func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

func buildReshape(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	allowZero, err := n.AttrInt("allowzero", 0)
	if err != nil {
		return nil, err
	}
	if opset < 5 {
		shape, has, err := attrIntsOpt(n, "shape")
		if err != nil {
			return nil, err
		}
		if !has {
			return nil, fmt.Errorf("Reshape: attribute shape is required before opset 5")
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := kernel.NeedInputs(in, 1); err != nil {
				return nil, fmt.Errorf("Reshape: %v", err)
			}
			out, err := reshape(in[0], shape, false)
			if err != nil {
				return nil, err
			}
			return one(out), nil
		}), nil
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("Reshape: %v", err)
		}
		shape, err := intsInput(in[1], "Reshape: shape input")
		if err != nil {
			return nil, err
		}
		if in[1].DType != tensor.Int64 {
			return nil, fmt.Errorf("Reshape: shape input has type %s, want int64", in[1].DType)
		}
		out, err := reshape(in[0], shape, allowZero != 0)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

// reshape resolves an ONNX target shape (0 = copy, -1 = infer) and returns a
// tensor sharing x's data.
func reshape(x *tensor.Tensor, target []int64, allowZero bool) (*tensor.Tensor, error) {
	shape := make([]int, len(target))
	infer := -1
	known := 1
	for i, d := range target {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("Reshape: shape input has two -1 entries")
			}
			infer = i
			continue
		case d < -1:
			return nil, fmt.Errorf("Reshape: shape input has invalid entry %d at index %d", d, i)
		case d == 0 && !allowZero:
			if i >= x.Rank() {
				return nil, fmt.Errorf("Reshape: shape entry %d is 0 but the input has rank %d", i, x.Rank())
			}
			shape[i] = x.Shape[i]
		default:
			if d > int64(x.Len()) && x.Len() > 0 {
				return nil, fmt.Errorf("Reshape: cannot reshape %v to %v", x.Shape, target)
			}
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	if infer >= 0 {
		if allowZero {
			for _, d := range target {
				if d == 0 {
					return nil, fmt.Errorf("Reshape: shape input has both 0 and -1 with allowzero=1")
				}
			}
		}
		if known == 0 {
			if x.Len() != 0 {
				return nil, fmt.Errorf("Reshape: cannot reshape %v to %v", x.Shape, target)
			}
			return nil, fmt.Errorf("Reshape: -1 in shape %v is ambiguous for an empty input %v", target, x.Shape)
		}
		if x.Len()%known != 0 {
			return nil, fmt.Errorf("Reshape: cannot reshape %v (%d elements) to %v", x.Shape, x.Len(), target)
		}
		shape[infer] = x.Len() / known
	}
	out, err := x.Reshaped(shape...)
	if err != nil {
		return nil, fmt.Errorf("Reshape: %v", err)
	}
	return out, nil
}

func buildFlatten(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Flatten: %v", err)
		}
		x := in[0]
		r := int64(x.Rank())
		a := axis
		if a < 0 {
			a += r
		}
		if a < 0 || a > r {
			return nil, fmt.Errorf("Flatten: attribute axis %d out of range for rank %d", axis, r)
		}
		out, err := x.Reshaped(prod(x.Shape[:a]), prod(x.Shape[a:]))
		if err != nil {
			return nil, fmt.Errorf("Flatten: %v", err)
		}
		return one(out), nil
	}), nil
}

// axesSource reads axes from an attribute (before opset 13) or from input 1
// (from opset 13). It returns a function resolving them at run time.
func axesSource(n *onnx.Node, opset int64, op string) (func(in []*tensor.Tensor) ([]int64, bool, error), error) {
	if opset < 13 {
		axes, has, err := attrIntsOpt(n, "axes")
		if err != nil {
			return nil, err
		}
		return func([]*tensor.Tensor) ([]int64, bool, error) { return axes, has, nil }, nil
	}
	if _, ok := n.Attr("axes"); ok {
		return nil, fmt.Errorf("%s: attribute axes is not allowed at opset %d (it is an input)", op, opset)
	}
	return func(in []*tensor.Tensor) ([]int64, bool, error) {
		a := kernel.Input(in, 1)
		if a == nil {
			return nil, false, nil
		}
		v, err := intsInput(a, op+": axes input")
		return v, true, err
	}, nil
}

func buildSqueeze(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	src, err := axesSource(n, opset, "Squeeze")
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Squeeze: %v", err)
		}
		x := in[0]
		axes, has, err := src(in)
		if err != nil {
			return nil, err
		}
		drop := make([]bool, x.Rank())
		if has {
			ax, err := normAxes(axes, x.Rank(), "Squeeze: axes")
			if err != nil {
				return nil, err
			}
			for _, a := range ax {
				if x.Shape[a] != 1 {
					return nil, fmt.Errorf("Squeeze: axis %d of shape %v is not 1", a, x.Shape)
				}
				drop[a] = true
			}
		} else {
			for a, d := range x.Shape {
				drop[a] = d == 1
			}
		}
		shape := []int{}
		for a, d := range x.Shape {
			if !drop[a] {
				shape = append(shape, d)
			}
		}
		out, err := x.Reshaped(shape...)
		if err != nil {
			return nil, fmt.Errorf("Squeeze: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildUnsqueeze(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	src, err := axesSource(n, opset, "Unsqueeze")
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Unsqueeze: %v", err)
		}
		x := in[0]
		axes, has, err := src(in)
		if err != nil {
			return nil, err
		}
		if !has {
			return nil, fmt.Errorf("Unsqueeze: axes is required")
		}
		rank := x.Rank() + len(axes)
		ax, err := normAxes(axes, rank, "Unsqueeze: axes")
		if err != nil {
			return nil, err
		}
		ins := make([]bool, rank)
		for _, a := range ax {
			ins[a] = true
		}
		shape := make([]int, rank)
		j := 0
		for a := range shape {
			if ins[a] {
				shape[a] = 1
			} else {
				shape[a] = x.Shape[j]
				j++
			}
		}
		out, err := x.Reshaped(shape...)
		if err != nil {
			return nil, fmt.Errorf("Unsqueeze: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildIdentity(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Identity: %v", err)
		}
		return one(in[0]), nil
	}), nil
}

func buildDropout(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	if opset < 7 {
		isTest, err := n.AttrInt("is_test", 0)
		if err != nil {
			return nil, err
		}
		_ = isTest // inference always behaves as is_test=1
	}
	if _, err := n.AttrFloat("ratio", 0.5); err != nil {
		return nil, err
	}
	wantMask := len(n.Outputs) > 1 && n.Outputs[1] != ""
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Dropout: %v", err)
		}
		x := in[0]
		if opset >= 12 {
			if tm := kernel.Input(in, 2); tm != nil {
				b, ok := tm.Data.([]bool)
				if !ok || len(b) != 1 {
					return nil, fmt.Errorf("Dropout: training_mode input must be a bool scalar, got %s", tm)
				}
				if b[0] {
					ratio := 0.5
					if r := kernel.Input(in, 1); r != nil {
						v, err := castScalarFloat(r)
						if err != nil {
							return nil, fmt.Errorf("Dropout: ratio input: %v", err)
						}
						ratio = v
					}
					if ratio != 0 {
						return nil, fmt.Errorf("Dropout: training_mode=true with ratio %g is not supported (inference only)", ratio)
					}
				}
			}
		}
		if !wantMask {
			return one(x), nil
		}
		var mask *tensor.Tensor
		if opset < 10 {
			// Before opset 10 the mask has the input's type.
			onet := tensor.MustFromSlice([]float64{1})
			v, err := castTensor(onet, x.DType)
			if err != nil {
				return nil, fmt.Errorf("Dropout: %v", err)
			}
			mask, err = take(v, x.Shape, make([]int, x.Len()), nil)
			if err != nil {
				return nil, fmt.Errorf("Dropout: %v", err)
			}
		} else {
			mask = tensor.New(tensor.Bool, x.Shape...)
			b := mask.Data.([]bool)
			for i := range b {
				b[i] = true
			}
		}
		return []*tensor.Tensor{x, mask}, nil
	}), nil
}
