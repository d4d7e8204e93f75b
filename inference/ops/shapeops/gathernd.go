package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildGatherElements(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("GatherElements: %v", err)
		}
		x, ind := in[0], in[1]
		rank := x.Rank()
		if rank == 0 {
			return nil, fmt.Errorf("GatherElements: data input is a scalar")
		}
		if ind.Rank() != rank {
			return nil, fmt.Errorf("GatherElements: indices input has rank %d, data has rank %d", ind.Rank(), rank)
		}
		ax, err := kernel.NormalizeAxis(axis, rank)
		if err != nil {
			return nil, fmt.Errorf("GatherElements: attribute axis: %v", err)
		}
		for a := range ind.Shape {
			if a != ax && ind.Shape[a] > x.Shape[a] {
				return nil, fmt.Errorf("GatherElements: indices shape %v exceeds data shape %v on axis %d", ind.Shape, x.Shape, a)
			}
		}
		vals, err := intsOf(ind, "GatherElements: indices input")
		if err != nil {
			return nil, err
		}
		st := strides(x.Shape)
		// Base offsets from every axis but the gathered one.
		tab := make([][]int, rank)
		for a := range tab {
			t := make([]int, ind.Shape[a])
			if a != ax {
				for i := range t {
					t[i] = i * st[a]
				}
			}
			tab[a] = t
		}
		idx := tableIndex(ind.Shape, tab)
		dim := int64(x.Shape[ax])
		for i, v := range vals {
			if v < 0 {
				v += dim
			}
			if v < 0 || v >= dim {
				return nil, fmt.Errorf("GatherElements: index %d out of range for axis %d of size %d", vals[i], ax, dim)
			}
			idx[i] += int(v) * st[ax]
		}
		out, err := take(x, ind.Shape, idx, nil)
		if err != nil {
			return nil, fmt.Errorf("GatherElements: %v", err)
		}
		return one(out), nil
	}), nil
}

func buildGatherND(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	batch, err := n.AttrInt("batch_dims", 0)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("GatherND: %v", err)
		}
		x, ind := in[0], in[1]
		r, q := x.Rank(), ind.Rank()
		b := int(batch)
		if batch < 0 || b >= r || b >= q {
			return nil, fmt.Errorf("GatherND: attribute batch_dims %d must be below the ranks of data (%d) and indices (%d)", batch, r, q)
		}
		if ind.DType != tensor.Int64 {
			return nil, fmt.Errorf("GatherND: indices input has type %s, want int64", ind.DType)
		}
		for a := 0; a < b; a++ {
			if x.Shape[a] != ind.Shape[a] {
				return nil, fmt.Errorf("GatherND: batch dimension %d differs: data %v, indices %v", a, x.Shape, ind.Shape)
			}
		}
		k := ind.Shape[q-1]
		if k < 1 || k > r-b {
			return nil, fmt.Errorf("GatherND: last dimension of indices (%d) must be in [1, %d]", k, r-b)
		}
		vals := ind.Data.([]int64)
		shape := append(append([]int{}, ind.Shape[:q-1]...), x.Shape[b+k:]...)
		out := tensor.New(x.DType, shape...)
		cp, err := newCopier(out, x)
		if err != nil {
			return nil, fmt.Errorf("GatherND: %v", err)
		}
		st := strides(x.Shape)
		block := prod(x.Shape[b+k:])
		batches := prod(x.Shape[:b])
		perBatch := prod(ind.Shape[b : q-1])
		batchSize := prod(x.Shape[b:])
		p := 0
		for bi := 0; bi < batches; bi++ {
			for j := 0; j < perBatch; j++ {
				tuple := vals[(bi*perBatch+j)*k : (bi*perBatch+j+1)*k]
				off := bi * batchSize
				for t, v := range tuple {
					dim := int64(x.Shape[b+t])
					if v < 0 {
						v += dim
					}
					if v < 0 || v >= dim {
						return nil, fmt.Errorf("GatherND: index %d out of range for axis %d of size %d", tuple[t], b+t, dim)
					}
					off += int(v) * st[b+t]
				}
				if block > 0 {
					cp(p, off, block)
				}
				p += block
			}
		}
		return one(out), nil
	}), nil
}
