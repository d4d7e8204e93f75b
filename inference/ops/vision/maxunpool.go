package vision

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

type maxUnpool struct {
	kernelShape, strides, pads []int64
}

func buildMaxUnpool(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &maxUnpool{}
	var err error
	if k.kernelShape, err = n.AttrInts("kernel_shape", nil); err != nil {
		return nil, err
	}
	if len(k.kernelShape) == 0 {
		return nil, fmt.Errorf("attribute kernel_shape is required")
	}
	if k.strides, err = n.AttrInts("strides", nil); err != nil {
		return nil, err
	}
	if k.pads, err = n.AttrInts("pads", nil); err != nil {
		return nil, err
	}
	nsp := len(k.kernelShape)
	if k.strides == nil {
		k.strides = make([]int64, nsp)
		for i := range k.strides {
			k.strides[i] = 1
		}
	}
	if k.pads == nil {
		k.pads = make([]int64, 2*nsp)
	}
	if len(k.strides) != nsp || len(k.pads) != 2*nsp {
		return nil, fmt.Errorf("strides %v and pads %v do not match kernel_shape %v", k.strides, k.pads, k.kernelShape)
	}
	return k, nil
}

// Run scatters X into a zero tensor at the flat positions of I (as
// MaxPool's Indices output gives them).
func (k *maxUnpool) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 2); err != nil {
		return nil, err
	}
	x, ind := in[0], in[1]
	nsp := len(k.kernelShape)
	if x.Rank() != nsp+2 || !tensor.SameShape(x.Shape, ind.Shape) {
		return nil, fmt.Errorf("X %v and I %v must match and have %d spatial axes", x.Shape, ind.Shape, nsp)
	}
	shape := append([]int{}, x.Shape...)
	for i := 0; i < nsp; i++ {
		shape[2+i] = (x.Shape[2+i]-1)*int(k.strides[i]) - int(k.pads[i]+k.pads[nsp+i]) + int(k.kernelShape[i])
	}
	// Indices address the inferred shape; an explicit output_shape (which
	// may be larger, as when pooling dropped a trailing row) receives each
	// value at the same coordinates.
	outShape := shape
	if os := kernel.Input(in, 2); os != nil {
		v, err := kernel.Ints(os)
		if err != nil || len(v) != x.Rank() {
			return nil, fmt.Errorf("output_shape must hold %d integers", x.Rank())
		}
		outShape = make([]int, len(v))
		for i, d := range v {
			if int(d) < shape[i] {
				return nil, fmt.Errorf("output_shape %v is smaller than the inferred %v", v, shape)
			}
			outShape[i] = int(d)
		}
	}
	idx, err := kernel.Ints(ind)
	if err != nil {
		return nil, err
	}
	out := tensor.New(x.DType, outShape...)
	total := int64(tensor.NumElements(shape))
	ist, ost := kernel.Strides(shape), kernel.Strides(outShape)
	pos := make([]int, len(idx))
	for i, p := range idx {
		if p < 0 || p >= total {
			return nil, fmt.Errorf("index %d out of range for output of %d elements", p, total)
		}
		for a := range shape {
			pos[i] += int(p) / ist[a] % shape[a] * ost[a]
		}
	}
	if err := kernel.Put(out, x, pos); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
