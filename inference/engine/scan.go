package engine

import (
	"context"
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

type scanKernel struct {
	node             *onnx.Node
	body             *subgraph
	nScanIn          int
	inAxes, inDirs   []int64
	outAxes, outDirs []int64
	batched          bool // opset 8: a batch axis and sequence_lens
}

func buildScan(n *onnx.Node, opset int64, reg *ops.Registry) (kernel.Kernel, error) {
	body, err := compileSubgraph(n, "body", opset, reg)
	if err != nil {
		return nil, err
	}
	m, err := n.AttrInt("num_scan_inputs", 0)
	if err != nil {
		return nil, err
	}
	k := &scanKernel{node: n, body: body, nScanIn: int(m), batched: opset < 9}
	if k.nScanIn < 1 || k.nScanIn > body.nFormal {
		return nil, fmt.Errorf("num_scan_inputs = %d, body has %d inputs", m, body.nFormal)
	}
	nState := body.nFormal - k.nScanIn
	nScanOut := len(body.prog.outputs) - nState
	if nScanOut < 0 {
		return nil, fmt.Errorf("body has %d outputs for %d states", len(body.prog.outputs), nState)
	}
	read := func(name string, count int) ([]int64, error) {
		v, err := n.AttrInts(name, nil)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return make([]int64, count), nil
		}
		if len(v) != count {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), count)
		}
		return v, nil
	}
	dirName := "scan_input_directions"
	if k.batched {
		dirName = "directions"
	}
	if k.inDirs, err = read(dirName, k.nScanIn); err != nil {
		return nil, err
	}
	if !k.batched {
		if k.inAxes, err = read("scan_input_axes", k.nScanIn); err != nil {
			return nil, err
		}
		if k.outAxes, err = read("scan_output_axes", nScanOut); err != nil {
			return nil, err
		}
		if k.outDirs, err = read("scan_output_directions", nScanOut); err != nil {
			return nil, err
		}
	} else {
		k.inAxes, k.outAxes, k.outDirs = make([]int64, k.nScanIn), make([]int64, nScanOut), make([]int64, nScanOut)
	}
	return k, nil
}

func (k *scanKernel) Run([]*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, fmt.Errorf("Scan runs with a context")
}

func (k *scanKernel) RunContext(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	scope := scopeOf(k.node, in)
	declared := in[:min(len(in), len(k.node.Inputs))]
	if !k.batched {
		return k.scan(ctx, declared, scope)
	}
	// Opset 8: input 0 is sequence_lens, and every other input has a batch
	// axis 0 that is scanned independently.
	if lens := kernel.Input(declared, 0); lens != nil {
		return nil, fmt.Errorf("sequence_lens is not supported")
	}
	vals := declared[1:]
	if len(vals) == 0 || vals[0] == nil || vals[0].Rank() < 1 {
		return nil, fmt.Errorf("Scan-8 needs batched inputs")
	}
	nb := vals[0].Shape[0]
	var perBatch [][]*tensor.Tensor
	for b := 0; b < nb; b++ {
		sl := make([]*tensor.Tensor, len(vals))
		for i, v := range vals {
			if v == nil || v.Rank() < 1 || v.Shape[0] != nb {
				return nil, fmt.Errorf("input %d is not batched by %d", i+1, nb)
			}
			var err error
			if sl[i], err = sliceAt(v, 0, b); err != nil {
				return nil, err
			}
		}
		out, err := k.scan(ctx, sl, scope)
		if err != nil {
			return nil, fmt.Errorf("batch %d: %w", b, err)
		}
		perBatch = append(perBatch, out)
	}
	res := make([]*tensor.Tensor, len(perBatch[0]))
	for j := range res {
		col := make([]*tensor.Tensor, nb)
		for b := range col {
			col[b] = perBatch[b][j]
		}
		var err error
		if res[j], err = stack(col, 0, onnx.ValueInfo{}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// scan runs the body once per position of the scan inputs.
func (k *scanKernel) scan(ctx context.Context, in []*tensor.Tensor, scope map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	nState := k.body.nFormal - k.nScanIn
	if len(in) != k.body.nFormal {
		return nil, fmt.Errorf("node has %d inputs, body takes %d", len(in), k.body.nFormal)
	}
	state := append([]*tensor.Tensor{}, in[:nState]...)
	xs := in[nState:]
	axes := make([]int, len(xs))
	steps := -1
	for i, x := range xs {
		if x == nil {
			return nil, fmt.Errorf("scan input %d is missing", i)
		}
		ax, err := kernel.NormalizeAxis(k.inAxes[i], x.Rank())
		if err != nil {
			return nil, fmt.Errorf("scan input %d: %w", i, err)
		}
		axes[i] = ax
		if steps >= 0 && x.Shape[ax] != steps {
			return nil, fmt.Errorf("scan inputs have lengths %d and %d", steps, x.Shape[ax])
		}
		steps = x.Shape[ax]
	}
	nOut := len(k.body.prog.outputs) - nState
	outs := make([][]*tensor.Tensor, nOut)
	for t := 0; t < steps; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		formal := append([]*tensor.Tensor{}, state...)
		for i, x := range xs {
			pos := t
			if k.inDirs[i] != 0 {
				pos = steps - 1 - t
			}
			s, err := sliceAt(x, axes[i], pos)
			if err != nil {
				return nil, err
			}
			formal = append(formal, s)
		}
		out, err := k.body.run(ctx, formal, scope)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", t, err)
		}
		copy(state, out[:nState])
		for j := range outs {
			outs[j] = append(outs[j], out[nState+j])
		}
	}
	res := state
	for j, o := range outs {
		if k.outDirs[j] != 0 {
			for a, b := 0, len(o)-1; a < b; a, b = a+1, b-1 {
				o[a], o[b] = o[b], o[a]
			}
		}
		rank := 1
		if len(o) > 0 {
			rank = o[0].Rank() + 1
		}
		ax, err := kernel.NormalizeAxis(k.outAxes[j], rank)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		t, err := stack(o, ax, k.body.prog.outputs[nState+j])
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res = append(res, t)
	}
	return res, nil
}
