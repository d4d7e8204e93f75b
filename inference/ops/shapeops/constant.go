package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildConstant(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	var value *tensor.Tensor
	set := 0
	for _, a := range n.Attrs {
		var t *tensor.Tensor
		var want onnx.AttrType
		switch a.Name {
		case "value":
			want = onnx.AttrTensor
			t = a.T
		case "sparse_value":
			return nil, fmt.Errorf("Constant: attribute sparse_value is not supported")
		case "value_float":
			want = onnx.AttrFloat
			t = tensor.MustFromSlice([]float32{a.F})
		case "value_floats":
			want = onnx.AttrFloats
			t = tensor.MustFromSlice(append([]float32{}, a.Floats...), len(a.Floats))
		case "value_int":
			want = onnx.AttrInt
			t = tensor.MustFromSlice([]int64{a.I})
		case "value_ints":
			want = onnx.AttrInts
			t = tensor.MustFromSlice(append([]int64{}, a.Ints...), len(a.Ints))
		case "value_string":
			want = onnx.AttrString
			t = tensor.MustFromSlice([]string{string(a.S)})
		case "value_strings":
			want = onnx.AttrStrings
			s := make([]string, len(a.Strings))
			for i, b := range a.Strings {
				s[i] = string(b)
			}
			t = tensor.MustFromSlice(s, len(s))
		default:
			continue
		}
		if a.Type != want {
			return nil, fmt.Errorf("Constant: attribute %s has type %d, want %d", a.Name, a.Type, want)
		}
		if a.Name != "value" && opset < 12 {
			return nil, fmt.Errorf("Constant: attribute %s needs opset 12 (model uses %d)", a.Name, opset)
		}
		if t == nil {
			return nil, fmt.Errorf("Constant: attribute %s holds no tensor", a.Name)
		}
		value = t
		set++
	}
	if set != 1 {
		return nil, fmt.Errorf("Constant: exactly one value attribute must be set, found %d", set)
	}
	if err := value.Check(); err != nil {
		return nil, fmt.Errorf("Constant: attribute value: %v", err)
	}
	return kernel.Func(func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return one(value), nil
	}), nil
}

func buildConstantOfShape(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	value, err := n.AttrTensor("value")
	if err != nil {
		return nil, err
	}
	if value == nil {
		value = tensor.MustFromSlice([]float32{0}, 1)
	}
	if err := value.Check(); err != nil {
		return nil, fmt.Errorf("ConstantOfShape: attribute value: %v", err)
	}
	if value.Len() != 1 {
		return nil, fmt.Errorf("ConstantOfShape: attribute value must hold one element, has shape %v", value.Shape)
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("ConstantOfShape: %v", err)
		}
		dims, err := intsInput(in[0], "ConstantOfShape: input")
		if err != nil {
			return nil, err
		}
		shape, err := checkDims(dims, "ConstantOfShape: input")
		if err != nil {
			return nil, err
		}
		out, err := take(value, shape, make([]int, prod(shape)), nil)
		if err != nil {
			return nil, fmt.Errorf("ConstantOfShape: %v", err)
		}
		return one(out), nil
	}), nil
}
