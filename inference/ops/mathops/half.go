package mathops

import (
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func halfTensorToFloat32(t *tensor.Tensor) *tensor.Tensor {
	src := t.Data.([]uint16)
	out := tensor.New(tensor.Float32, t.Shape...)
	dst := out.Data.([]float32)
	for i := range dst {
		dst[i] = tensor.HalfToFloat32(src[i])
	}
	return out
}

func float32TensorToHalf(t *tensor.Tensor) *tensor.Tensor {
	src := t.Data.([]float32)
	out := tensor.New(tensor.Float16, t.Shape...)
	dst := out.Data.([]uint16)
	for i := range dst {
		dst[i] = tensor.HalfFromFloat64(float64(src[i]))
	}
	return out
}

// withHalf lets a float32 kernel serve float16 tensors: float16 inputs are
// widened to float32 and, when the first input was float16, float32 outputs
// are rounded back to float16 (as numpy does for half arithmetic).
func withHalf(f kernel.Func) kernel.Func {
	return func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		half := false
		for _, in := range inputs {
			if in != nil && in.DType == tensor.Float16 {
				half = true
				break
			}
		}
		if !half {
			return f(inputs)
		}
		conv := make([]*tensor.Tensor, len(inputs))
		for i, in := range inputs {
			conv[i] = in
			if in != nil && in.DType == tensor.Float16 {
				if err := in.Check(); err != nil {
					return nil, errorf("input %d: %v", i, err)
				}
				conv[i] = halfTensorToFloat32(in)
			}
		}
		outs, err := f(conv)
		if err != nil {
			return nil, err
		}
		if inputs[0] != nil && inputs[0].DType == tensor.Float16 {
			for i, o := range outs {
				if o != nil && o.DType == tensor.Float32 {
					outs[i] = float32TensorToHalf(o)
				}
			}
		}
		return outs, nil
	}
}
