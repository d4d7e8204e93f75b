package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildTranspose(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	perm, hasPerm, err := attrIntsOpt(n, "perm")
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		x := in[0]
		rank := x.Rank()
		p := make([]int, rank)
		if hasPerm {
			if len(perm) != rank {
				return nil, fmt.Errorf("Transpose: attribute perm %v has %d entries for an input of rank %d", perm, len(perm), rank)
			}
			seen := make([]bool, rank)
			for i, v := range perm {
				if v < 0 || v >= int64(rank) || seen[v] {
					return nil, fmt.Errorf("Transpose: attribute perm %v is not a permutation of 0..%d", perm, rank-1)
				}
				seen[v] = true
				p[i] = int(v)
			}
		} else {
			for i := range p {
				p[i] = rank - 1 - i
			}
		}
		if err := x.Check(); err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		out, err := transpose(x, p)
		if err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		return one(out), nil
	}), nil
}

// transpose permutes x's axes by p (a permutation of its axes).
func transpose(x *tensor.Tensor, p []int) (*tensor.Tensor, error) {
	shape := make([]int, len(p))
	srcSt := make([]int, len(p))
	inSt := strides(x.Shape)
	for a := range shape {
		shape[a], srcSt[a] = x.Shape[p[a]], inSt[p[a]]
	}
	if out, ok := stridedCopy(x, shape, srcSt, 0); ok {
		return out, nil
	}
	return transposeGather(x, shape, p)
}

// transposeGather transposes x by an index table (any element type).
func transposeGather(x *tensor.Tensor, shape, p []int) (*tensor.Tensor, error) {
	inSt := strides(x.Shape)
	tab := make([][]int, len(p))
	for a := range shape {
		t := make([]int, shape[a])
		for i := range t {
			t[i] = i * inSt[p[a]]
		}
		tab[a] = t
	}
	return take(x, shape, tableIndex(shape, tab), nil)
}
