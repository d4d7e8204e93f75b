package engine

import (
	"sort"

	"github.com/papdl/papdl/inference/onnx"
)

// NodeInputs lists every tensor node n reads: its declared inputs (with ""
// for omitted optional ones) followed by its implicit inputs, the
// outer-scope tensors that its graph attributes (the branches of If, the
// bodies of Loop and Scan) read, sorted by name. Kernels of such nodes get
// their inputs in this order.
func NodeInputs(n *onnx.Node) []string {
	imp := ImplicitInputs(n)
	if len(imp) == 0 {
		return n.Inputs
	}
	return append(append([]string{}, n.Inputs...), imp...)
}

// ImplicitInputs lists, sorted, the outer-scope tensors that n's graph
// attributes read: names used inside them (at any depth) that they do not
// define as graph inputs, initializers or node outputs.
func ImplicitInputs(n *onnx.Node) []string {
	free := map[string]bool{}
	for _, a := range n.Attrs {
		for _, g := range attrGraphs(a) {
			for name := range graphFreeNames(g) {
				free[name] = true
			}
		}
	}
	if len(free) == 0 {
		return nil
	}
	out := make([]string, 0, len(free))
	for name := range free {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func attrGraphs(a onnx.Attribute) []*onnx.Graph {
	var gs []*onnx.Graph
	if a.G != nil {
		gs = append(gs, a.G)
	}
	return append(gs, a.Graphs...)
}

// graphFreeNames returns the names g reads without defining them.
func graphFreeNames(g *onnx.Graph) map[string]bool {
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, init := range g.Initializers {
		defined[init.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	free := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range NodeInputs(n) {
			if in != "" && !defined[in] {
				free[in] = true
			}
		}
	}
	for _, out := range g.Outputs {
		if !defined[out.Name] {
			free[out.Name] = true // an outer value passed straight through
		}
	}
	return free
}
