package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildShape(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	start, err := n.AttrInt("start", 0)
	if err != nil {
		return nil, err
	}
	_, hasEnd := n.Attr("end")
	end, err := n.AttrInt("end", 0)
	if err != nil {
		return nil, err
	}
	if opset < 15 {
		start, hasEnd = 0, false
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Shape: %v", err)
		}
		r := int64(in[0].Rank())
		s, e := start, r
		if hasEnd {
			e = end
		}
		if s < 0 {
			s += r
		}
		if e < 0 {
			e += r
		}
		s = clamp(s, 0, r)
		e = clamp(e, 0, r)
		var dims []int64
		for i := s; i < e; i++ {
			dims = append(dims, int64(in[0].Shape[i]))
		}
		if dims == nil {
			dims = []int64{}
		}
		return one(tensor.MustFromSlice(dims, len(dims))), nil
	}), nil
}

func buildGather(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("Gather: %v", err)
		}
		x, ind := in[0], in[1]
		if x.Rank() == 0 {
			return nil, fmt.Errorf("Gather: data input is a scalar")
		}
		ax, err := kernel.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, fmt.Errorf("Gather: attribute axis: %v", err)
		}
		idx, err := intsOf(ind, "Gather: indices input")
		if err != nil {
			return nil, err
		}
		dim := x.Shape[ax]
		shape := append(append(append([]int{}, x.Shape[:ax]...), ind.Shape...), x.Shape[ax+1:]...)
		out := tensor.New(x.DType, shape...)
		cp, err := newCopier(out, x)
		if err != nil {
			return nil, fmt.Errorf("Gather: %v", err)
		}
		outer := prod(x.Shape[:ax])
		inner := prod(x.Shape[ax+1:])
		rows := make([]int, len(idx))
		for i, v := range idx {
			if v < 0 {
				v += int64(dim)
			}
			if v < 0 || v >= int64(dim) {
				return nil, fmt.Errorf("Gather: index %d out of range for axis %d of size %d", idx[i], ax, dim)
			}
			rows[i] = int(v)
		}
		if inner == 0 {
			return one(out), nil
		}
		p := 0
		for o := 0; o < outer; o++ {
			base := o * dim * inner
			for _, r := range rows {
				cp(p, base+r*inner, inner)
				p += inner
			}
		}
		return one(out), nil
	}), nil
}
