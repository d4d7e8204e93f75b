package indexops

import (
	"fmt"
	"math"
	"sort"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildTopK(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	largest, err := n.AttrInt("largest", 1)
	if err != nil {
		return nil, err
	}
	sorted, err := n.AttrInt("sorted", 1)
	if err != nil {
		return nil, err
	}
	kAttr := int64(-1)
	if opset < 10 {
		if kAttr, err = n.AttrInt("k", -1); err != nil {
			return nil, err
		}
		if kAttr < 0 {
			return nil, fmt.Errorf("attribute k is required before opset 10")
		}
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		k := kAttr
		if k < 0 {
			if k, err = scalarInt(kernel.Input(in, 1), "K"); err != nil {
				return nil, err
			}
		}
		ax, err := kernel.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, err
		}
		dim := x.Shape[ax]
		if k < 0 || k > int64(dim) {
			return nil, fmt.Errorf("K = %d out of range [0, %d]", k, dim)
		}
		v, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		outer, inner := tensor.NumElements(x.Shape[:ax]), tensor.NumElements(x.Shape[ax+1:])
		kk := int(k)
		shape := append([]int{}, x.Shape...)
		shape[ax] = kk
		idxOut := tensor.New(tensor.Int64, shape...)
		src := make([]int, outer*kk*inner)
		order := make([]int, dim)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				at := func(j int) float64 { return v[(o*dim+j)*inner+i] }
				for j := range order {
					order[j] = j
				}
				// Stable: equal values keep index order. NaN sorts as the
				// largest value.
				sort.SliceStable(order, func(a, b int) bool {
					va, vb := at(order[a]), at(order[b])
					if largest != 0 {
						return greater(va, vb)
					}
					return greater(vb, va)
				})
				top := order[:kk]
				if sorted == 0 {
					top = append([]int{}, top...)
					sort.Ints(top)
				}
				for j, s := range top {
					p := (o*kk+j)*inner + i
					src[p] = (o*dim+s)*inner + i
					idxOut.Int64s()[p] = int64(s)
				}
			}
		}
		vals, err := kernel.Take(x, shape, src)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{vals, idxOut}, nil
	}), nil
}

// greater orders floats with NaN above everything.
func greater(a, b float64) bool {
	if math.IsNaN(a) {
		return !math.IsNaN(b)
	}
	if math.IsNaN(b) {
		return false
	}
	return a > b
}
