package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildSplit(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	nout := len(n.Outputs)
	if nout == 0 {
		return nil, fmt.Errorf("Split: node has no outputs")
	}
	var attrSplit []int64
	hasAttr := false
	if opset < 13 {
		attrSplit, hasAttr, err = attrIntsOpt(n, "split")
		if err != nil {
			return nil, err
		}
	} else if _, ok := n.Attr("split"); ok {
		return nil, fmt.Errorf("Split: attribute split is not allowed at opset %d (it is an input)", opset)
	}
	numOutputs := int64(0)
	if opset >= 18 {
		numOutputs, err = n.AttrInt("num_outputs", 0)
		if err != nil {
			return nil, err
		}
		if _, ok := n.Attr("num_outputs"); ok && numOutputs != int64(nout) {
			return nil, fmt.Errorf("Split: attribute num_outputs is %d but the node has %d outputs", numOutputs, nout)
		}
	}
	// From opset 13 (and at opset 1) the split sizes may come as input 1.
	splitAsInput := opset >= 13 || opset == 1
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Split: %v", err)
		}
		x := in[0]
		if x.Rank() == 0 {
			return nil, fmt.Errorf("Split: input is a scalar")
		}
		ax, err := kernel.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, fmt.Errorf("Split: attribute axis: %v", err)
		}
		dim := x.Shape[ax]
		split := attrSplit
		have := hasAttr
		if s := kernel.Input(in, 1); splitAsInput && s != nil {
			if hasAttr {
				return nil, fmt.Errorf("Split: split given both as attribute and input")
			}
			split, err = intsInput(s, "Split: split input")
			if err != nil {
				return nil, err
			}
			have = true
		}
		sizes := make([]int, nout)
		if have {
			if len(split) != nout {
				return nil, fmt.Errorf("Split: split has %d entries but the node has %d outputs", len(split), nout)
			}
			sum := 0
			for i, v := range split {
				if v < 0 {
					return nil, fmt.Errorf("Split: split entry %d is negative (%d)", i, v)
				}
				sizes[i] = int(v)
				sum += int(v)
			}
			if sum != dim {
				return nil, fmt.Errorf("Split: split sizes %v sum to %d, axis %d has %d", split, sum, ax, dim)
			}
		} else if numOutputs > 0 {
			// Opset 18: ceil(dim/n) per chunk, the last one smaller.
			chunk := (dim + nout - 1) / nout
			left := dim
			for i := range sizes {
				s := chunk
				if s > left {
					s = left
				}
				sizes[i] = s
				left -= s
			}
		} else {
			if dim%nout != 0 {
				return nil, fmt.Errorf("Split: axis %d of size %d does not split into %d equal parts", ax, dim, nout)
			}
			for i := range sizes {
				sizes[i] = dim / nout
			}
		}
		outer := prod(x.Shape[:ax])
		inner := prod(x.Shape[ax+1:])
		row := dim * inner
		outs := make([]*tensor.Tensor, nout)
		off := 0
		for i, s := range sizes {
			shape := append([]int{}, x.Shape...)
			shape[ax] = s
			o := tensor.New(x.DType, shape...)
			cp, err := newCopier(o, x)
			if err != nil {
				return nil, fmt.Errorf("Split: %v", err)
			}
			part := s * inner
			if part > 0 {
				for r := 0; r < outer; r++ {
					cp(r*part, r*row+off, part)
				}
			}
			off += part
			outs[i] = o
		}
		return outs, nil
	}), nil
}
