package engine

import (
	"context"
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

type loopKernel struct {
	node *onnx.Node
	body *subgraph
}

func buildLoop(n *onnx.Node, opset int64, reg *ops.Registry) (kernel.Kernel, error) {
	body, err := compileSubgraph(n, "body", opset, reg)
	if err != nil {
		return nil, err
	}
	if body.nFormal < 2 || len(body.prog.outputs) < body.nFormal-1 {
		return nil, fmt.Errorf("body has %d inputs and %d outputs, want (iteration, cond, N states) -> (cond, N states, scans)",
			body.nFormal, len(body.prog.outputs))
	}
	return &loopKernel{node: n, body: body}, nil
}

func (k *loopKernel) Run([]*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, fmt.Errorf("Loop runs with a context")
}

// RunContext iterates the body while the trip count (input M) and the
// condition (input cond) allow; an absent M or cond does not limit. Loop
// state flows from one iteration to the next; scan outputs are stacked
// along a new first axis.
func (k *loopKernel) RunContext(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	nState := k.body.nFormal - 2
	nScan := len(k.body.prog.outputs) - 1 - nState
	declared := len(k.node.Inputs)
	if declared != 2+nState {
		return nil, fmt.Errorf("node has %d inputs, body carries %d states", declared, nState)
	}
	var maxTrip int64 = -1
	if m := kernel.Input(in, 0); m != nil {
		v, err := kernel.Ints(m)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("trip count M must be one integer")
		}
		maxTrip = v[0]
	}
	cond := true
	useCond := kernel.Input(in, 1) != nil
	if useCond {
		var err error
		if cond, err = truth(in[1], "cond"); err != nil {
			return nil, err
		}
	}
	state := make([]*tensor.Tensor, nState)
	for i := range state {
		if state[i] = kernel.Input(in, 2+i); state[i] == nil {
			return nil, fmt.Errorf("initial value of loop state %d is missing", i)
		}
	}
	scope := scopeOf(k.node, in)
	scans := make([][]*tensor.Tensor, nScan)
	for it := int64(0); (maxTrip < 0 || it < maxTrip) && cond; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		iter := tensor.New(tensor.Int64)
		iter.Int64s()[0] = it
		c := tensor.New(tensor.Bool)
		c.Bools()[0] = cond
		out, err := k.body.run(ctx, append([]*tensor.Tensor{iter, c}, state...), scope)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
		if useCond {
			if cond, err = truth(out[0], "body's cond output"); err != nil {
				return nil, err
			}
		}
		copy(state, out[1:1+nState])
		for j := range scans {
			scans[j] = append(scans[j], out[1+nState+j])
		}
	}
	res := append([]*tensor.Tensor{}, state...)
	for j, s := range scans {
		t, err := stack(s, 0, k.body.prog.outputs[1+nState+j])
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res = append(res, t)
	}
	return res, nil
}

// stack joins same-shaped tensors along a new axis. With no tensors it
// returns an empty tensor typed from vi (float32 when vi has no type) whose
// other dimensions come from vi's shape when known.
func stack(ts []*tensor.Tensor, axis int, vi onnx.ValueInfo) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		dt := vi.ElemType
		if dt == tensor.Undefined {
			dt = tensor.Float32
		}
		shape := []int{0}
		if s, ok := vi.FixedShape(); ok {
			shape = append(shape, s...)
		}
		return tensor.New(dt, shape...), nil
	}
	first := ts[0]
	if axis < 0 || axis > first.Rank() {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, first.Rank()+1)
	}
	shape := append(append(append([]int{}, first.Shape[:axis]...), len(ts)), first.Shape[axis:]...)
	out := tensor.New(first.DType, shape...)
	outer := tensor.NumElements(first.Shape[:axis])
	inner := tensor.NumElements(first.Shape[axis:])
	for i, t := range ts {
		if t.DType != first.DType || !tensor.SameShape(t.Shape, first.Shape) {
			return nil, fmt.Errorf("iteration %d gives %s%v, iteration 0 gave %s%v", i, t.DType, t.Shape, first.DType, first.Shape)
		}
		pos := make([]int, outer*inner)
		for o := 0; o < outer; o++ {
			for j := 0; j < inner; j++ {
				pos[o*inner+j] = (o*len(ts)+i)*inner + j
			}
		}
		if err := kernel.Put(out, t, pos); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sliceAt returns x's slice at index i of axis (that axis removed).
func sliceAt(x *tensor.Tensor, axis, i int) (*tensor.Tensor, error) {
	shape := append(append([]int{}, x.Shape[:axis]...), x.Shape[axis+1:]...)
	outer := tensor.NumElements(x.Shape[:axis])
	inner := tensor.NumElements(x.Shape[axis+1:])
	dim := x.Shape[axis]
	idx := make([]int, outer*inner)
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			idx[o*inner+j] = (o*dim+i)*inner + j
		}
	}
	return kernel.Take(x, shape, idx)
}
