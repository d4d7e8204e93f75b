package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildConcat(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	_, has := n.Attr("axis")
	if !has && opset >= 4 {
		return nil, fmt.Errorf("Concat: attribute axis is required")
	}
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		out, err := concat(in, axis)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func concat(in []*tensor.Tensor, axis64 int64) (*tensor.Tensor, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("Concat: no inputs")
	}
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("Concat: input %d is missing", i)
		}
	}
	first := in[0]
	rank := first.Rank()
	if rank == 0 {
		return nil, fmt.Errorf("Concat: inputs must have rank >= 1, input 0 is a scalar")
	}
	axis, err := kernel.NormalizeAxis(axis64, rank)
	if err != nil {
		return nil, fmt.Errorf("Concat: attribute axis: %v", err)
	}
	shape := append([]int{}, first.Shape...)
	shape[axis] = 0
	for i, t := range in {
		if t.DType != first.DType {
			return nil, fmt.Errorf("Concat: input %d has type %s, input 0 has %s", i, t.DType, first.DType)
		}
		if t.Rank() != rank {
			return nil, fmt.Errorf("Concat: input %d has rank %d, input 0 has rank %d", i, t.Rank(), rank)
		}
		for a, d := range t.Shape {
			if a != axis && d != first.Shape[a] {
				return nil, fmt.Errorf("Concat: input %d has shape %v, incompatible with input 0's %v on axis %d", i, t.Shape, first.Shape, a)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out := tensor.New(first.DType, shape...)
	outer := prod(shape[:axis])
	inner := prod(shape[axis+1:])
	rowOut := shape[axis] * inner
	off := 0
	for _, t := range in {
		row := t.Shape[axis] * inner
		if row == 0 {
			continue
		}
		cp, err := newCopier(out, t)
		if err != nil {
			return nil, fmt.Errorf("Concat: %v", err)
		}
		for o := 0; o < outer; o++ {
			cp(o*rowOut+off, o*row, row)
		}
		off += row
	}
	return out, nil
}
