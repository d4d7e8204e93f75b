package shapeops

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildSlice(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	if opset < 10 {
		starts, hasS, err := attrIntsOpt(n, "starts")
		if err != nil {
			return nil, err
		}
		ends, hasE, err := attrIntsOpt(n, "ends")
		if err != nil {
			return nil, err
		}
		if !hasS || !hasE {
			return nil, fmt.Errorf("Slice: attributes starts and ends are required before opset 10")
		}
		axes, hasA, err := attrIntsOpt(n, "axes")
		if err != nil {
			return nil, err
		}
		if !hasA {
			axes = nil
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := kernel.NeedInputs(in, 1); err != nil {
				return nil, fmt.Errorf("Slice: %v", err)
			}
			out, err := slice(in[0], starts, ends, axes, nil)
			if err != nil {
				return nil, err
			}
			return []*tensor.Tensor{out}, nil
		}), nil
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, fmt.Errorf("Slice: %v", err)
		}
		starts, err := intsInput(in[1], "Slice: starts input")
		if err != nil {
			return nil, err
		}
		ends, err := intsInput(in[2], "Slice: ends input")
		if err != nil {
			return nil, err
		}
		var axes, steps []int64
		if a := kernel.Input(in, 3); a != nil {
			if axes, err = intsInput(a, "Slice: axes input"); err != nil {
				return nil, err
			}
		}
		if s := kernel.Input(in, 4); s != nil {
			if steps, err = intsInput(s, "Slice: steps input"); err != nil {
				return nil, err
			}
		}
		out, err := slice(in[0], starts, ends, axes, steps)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

// slice implements ONNX Slice. axes nil means 0..len(starts)-1; steps nil
// means all ones.
func slice(x *tensor.Tensor, starts, ends, axes, steps []int64) (*tensor.Tensor, error) {
	// The copy runs in goroutines, where a panic would not be recovered:
	// data and shape must agree first.
	if err := x.Check(); err != nil {
		return nil, fmt.Errorf("Slice: %w", err)
	}
	rank := x.Rank()
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("Slice: starts has %d entries, ends has %d", len(starts), len(ends))
	}
	if axes == nil {
		if len(starts) > rank {
			return nil, fmt.Errorf("Slice: starts has %d entries for an input of rank %d", len(starts), rank)
		}
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(axes) != len(starts) {
		return nil, fmt.Errorf("Slice: axes has %d entries, starts has %d", len(axes), len(starts))
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("Slice: steps has %d entries, starts has %d", len(steps), len(starts))
	}
	ax, err := normAxes(axes, rank, "Slice: axes")
	if err != nil {
		return nil, err
	}
	first := make([]int, rank)
	step := make([]int, rank)
	shape := append([]int{}, x.Shape...)
	for a := range step {
		step[a] = 1
	}
	for i, a := range ax {
		st := int64(1)
		if steps != nil {
			st = steps[i]
		}
		if st == 0 {
			return nil, fmt.Errorf("Slice: steps entry %d is 0", i)
		}
		dim := int64(x.Shape[a])
		s, e := starts[i], ends[i]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var count int64
		if st > 0 {
			s = clamp(s, 0, dim)
			e = clamp(e, 0, dim)
			if e > s {
				count = (e-s-1)/st + 1
			}
		} else {
			s = clamp(s, 0, dim-1)
			e = clamp(e, -1, dim-1)
			if s > e {
				if st == math.MinInt64 {
					count = 1 // -st would overflow
				} else {
					count = (s-e-1)/(-st) + 1
				}
			}
		}
		first[a] = int(s)
		step[a] = int(st)
		shape[a] = int(count)
	}
	inSt := strides(x.Shape)
	srcSt := make([]int, rank)
	base := 0
	for a := range srcSt {
		srcSt[a] = step[a] * inSt[a]
		if shape[a] > 0 {
			base += first[a] * inSt[a]
		}
	}
	if out, ok := stridedCopy(x, shape, srcSt, base); ok {
		return out, nil
	}
	tab := make([][]int, rank)
	for a := range tab {
		t := make([]int, shape[a])
		for o := range t {
			t[o] = (first[a] + o*step[a]) * inSt[a]
		}
		tab[a] = t
	}
	out, err := take(x, shape, tableIndex(shape, tab), nil)
	if err != nil {
		return nil, fmt.Errorf("Slice: %w", err)
	}
	return out, nil
}

func clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
