package engine

import (
	"github.com/papdl/papdl/inference/onnx"
)

// FoldedModel returns a copy of m whose graph holds only the nodes this
// program executes: constant sub-graphs (Constant nodes, Identity of an
// initializer, shape arithmetic on constants, ...) are replaced by the
// initializers they compute. Initializers nobody reads are dropped. Running
// the folded model gives the same bits as running m. A program compiled
// with Options.PackedOnly has dropped weights and returns nil.
func (p *Program) FoldedModel(m *onnx.Model) *onnx.Model {
	if p.packedOnly {
		return nil
	}
	nameOf := make([]string, len(p.constants))
	for name, s := range p.slotOf {
		nameOf[s] = name
	}
	g := m.Graph
	out := &onnx.Graph{
		Name:      g.Name,
		DocString: g.DocString,
		Inputs:    append([]onnx.ValueInfo(nil), p.inputs...),
		Outputs:   append([]onnx.ValueInfo(nil), p.outputs...),
	}
	used := map[int]bool{}
	for _, fused := range p.steps {
		for _, st := range fused.parts() {
			out.Nodes = append(out.Nodes, st.node)
			for _, s := range st.in {
				if s >= 0 && p.constants[s] != nil {
					used[s] = true
				}
			}
		}
	}
	for _, s := range p.outSlots {
		if p.constants[s] != nil {
			used[s] = true
		}
	}
	// Keep the initializers in a stable order: the original ones first, in
	// file order, then folded values in slot order.
	emitted := map[int]bool{}
	for _, init := range g.Initializers {
		s := p.slotOf[init.Name]
		if used[s] && !emitted[s] {
			emitted[s] = true
			out.Initializers = append(out.Initializers, &onnx.Initializer{Name: init.Name, Tensor: p.constants[s]})
		}
	}
	for s := range p.constants {
		if used[s] && !emitted[s] {
			emitted[s] = true
			out.Initializers = append(out.Initializers, &onnx.Initializer{Name: nameOf[s], Tensor: p.constants[s]})
		}
	}
	valueInfo := map[string]bool{}
	for _, n := range out.Nodes {
		for _, o := range n.Outputs {
			valueInfo[o] = true
		}
	}
	for _, vi := range g.ValueInfo {
		if valueInfo[vi.Name] {
			out.ValueInfo = append(out.ValueInfo, vi)
		}
	}
	cp := *m
	cp.Graph = out
	return &cp
}
