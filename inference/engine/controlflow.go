package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Control flow (If, Loop, Scan) is compiled here rather than in the
// operator registry because its kernels run subgraphs, which are Programs.
// A subgraph reads outer-scope tensors by name: the node's kernel receives
// them after its declared inputs, in the order ImplicitInputs lists them,
// and feeds each subgraph the ones it reads.

// controlFlowBuilder returns the builder of an operator the engine compiles
// itself, or nil.
func controlFlowBuilder(opType string) func(n *onnx.Node, opset int64, reg *ops.Registry) (kernel.Kernel, error) {
	switch opType {
	case "If":
		return buildIf
	case "Loop":
		return buildLoop
	case "Scan":
		return buildScan
	}
	return nil
}

// Supports reports whether a program compiled with reg can run op type
// opType of the default domain: reg's operators plus control flow.
func Supports(reg *ops.Registry, opType string) bool {
	return controlFlowBuilder(opType) != nil || reg.Has(opType)
}

// contextKernel is a kernel that runs subgraphs and so takes the request's
// context.
type contextKernel interface {
	RunContext(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// buildNode compiles n with the control-flow builders or reg.
func buildNode(n *onnx.Node, opset int64, reg *ops.Registry, consts []*tensor.Tensor) (kernel.Kernel, error) {
	if b := controlFlowBuilder(n.OpType); b != nil && (n.Domain == "" || n.Domain == "ai.onnx") {
		k, err := b(n, opset, reg)
		if err != nil {
			return nil, fmt.Errorf("node %s: %s (opset %d): %w", n.Label(), n.OpType, opset, err)
		}
		return k, nil
	}
	return reg.Build(n, opset, consts)
}

// subgraph is a compiled graph attribute: its first nFormal runtime inputs
// are its declared inputs, the others outer-scope names.
type subgraph struct {
	prog    *Program
	nFormal int
}

func compileSubgraph(n *onnx.Node, attr string, opset int64, reg *ops.Registry) (*subgraph, error) {
	a, ok := n.Attr(attr)
	if !ok || a.G == nil {
		return nil, fmt.Errorf("graph attribute %s is missing", attr)
	}
	var outer []string
	for name := range graphFreeNames(a.G) {
		outer = append(outer, name)
	}
	sort.Strings(outer)
	// Subgraphs run unfused (fusion gives the same bits either way).
	p, err := compileGraph(a.G, opset, reg, outer, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", attr, err)
	}
	return &subgraph{prog: p, nFormal: len(p.inputs) - len(outer)}, nil
}

// run feeds the subgraph its formal inputs (by position) and the outer
// values it reads (from scope), and returns its outputs in order.
func (s *subgraph) run(ctx context.Context, formal []*tensor.Tensor, scope map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(formal) != s.nFormal {
		return nil, fmt.Errorf("subgraph takes %d inputs, got %d", s.nFormal, len(formal))
	}
	feeds := make(map[string]*tensor.Tensor, len(s.prog.inputs))
	for i, vi := range s.prog.inputs {
		if i < s.nFormal {
			feeds[vi.Name] = formal[i]
			continue
		}
		v, ok := scope[vi.Name]
		if !ok || v == nil {
			return nil, fmt.Errorf("outer-scope tensor %q has no value", vi.Name)
		}
		feeds[vi.Name] = v
	}
	out, err := s.prog.Run(ctx, feeds)
	if err != nil {
		return nil, err
	}
	res := make([]*tensor.Tensor, len(s.prog.outputs))
	for i, vi := range s.prog.outputs {
		res[i] = out[vi.Name]
	}
	return res, nil
}

// scopeOf maps the implicit inputs (after the first declared ones) to
// their values.
func scopeOf(n *onnx.Node, in []*tensor.Tensor) map[string]*tensor.Tensor {
	scope := map[string]*tensor.Tensor{}
	for i, name := range ImplicitInputs(n) {
		if j := len(n.Inputs) + i; j < len(in) {
			scope[name] = in[j]
		}
	}
	return scope
}

// truth reads a one-element condition tensor.
func truth(t *tensor.Tensor, what string) (bool, error) {
	if t == nil || t.Len() != 1 {
		return false, fmt.Errorf("%s must have one element", what)
	}
	if t.DType == tensor.Bool {
		return t.Bools()[0], nil
	}
	v, err := kernel.Floats(t)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return v[0] != 0, nil
}

type ifKernel struct {
	node      *onnx.Node
	then, els *subgraph
}

func buildIf(n *onnx.Node, opset int64, reg *ops.Registry) (kernel.Kernel, error) {
	k := &ifKernel{node: n}
	var err error
	if k.then, err = compileSubgraph(n, "then_branch", opset, reg); err != nil {
		return nil, err
	}
	if k.els, err = compileSubgraph(n, "else_branch", opset, reg); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *ifKernel) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, fmt.Errorf("If runs with a context")
}

func (k *ifKernel) RunContext(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	c, err := truth(kernel.Input(in, 0), "cond")
	if err != nil {
		return nil, err
	}
	branch := k.els
	if c {
		branch = k.then
	}
	return branch.run(ctx, nil, scopeOf(k.node, in))
}
