package engine

import (
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// fuseEpilogues merges, into every step whose kernel is a kernel.Fuser (Conv,
// Gemm, MatMul), the element-wise steps that only read its output: an Add of
// a residual computed earlier or of a constant bias along the last axis, then
// a Relu, a Clip with constant bounds, or x·Sigmoid(x) (SiLU, two nodes).
// The fused kernel computes exactly the unfused operations in the same
// order, so the bits are the same as without fusion (and the same whether or not a partition boundary separates them).
// A fused step keeps its original steps to fall back on when a run's tensors
// do not fit (kernel.ErrNotFused), and the nodes for FoldedModel and
// observers.
func (p *Program) fuseEpilogues() {
	df := p.dataflow()
	readers, producer, isOutput, soleReader := df.readers, df.producer, df.isOutput, df.soleReader
	removed := make([]bool, len(p.steps))
	for i := range p.steps {
		st := &p.steps[i]
		f, ok := st.kernel.(kernel.Fuser)
		if !ok || removed[i] || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		var e kernel.Epilogue
		var chain []int
		residual := -1
		cur := st.out[0]
		if j, ok := soleReader(cur); ok && p.steps[j].node.OpType == "Add" && len(p.steps[j].in) == 2 && len(p.steps[j].out) == 1 {
			add := p.steps[j]
			other := add.in[0]
			if other == cur {
				other = add.in[1]
			}
			switch c := p.constants[max(other, 0)]; {
			case other < 0 || other == cur:
			case c != nil:
				if b, ok := rowBias(c); ok {
					e.Bias = b
					chain = append(chain, j)
				}
			default:
				if pi, produced := producer[other]; !produced || pi < i {
					e.Residual = true
					residual = other
					chain = append(chain, j)
				}
			}
			if len(chain) > 0 {
				cur = add.out[0]
			}
		}
		if j, ok := soleReader(cur); ok && cur >= 0 && p.activation(p.steps[j], &e) {
			chain = append(chain, j)
			cur = p.steps[j].out[0]
		} else if sig, mul, ok := p.silu(cur, readers, isOutput); ok {
			e.Act = kernel.ActSiLU
			chain = append(chain, sig, mul)
			cur = p.steps[mul].out[0]
		}
		if len(chain) == 0 || cur < 0 {
			continue
		}
		in := append([]int(nil), st.in...)
		if e.Residual {
			e.ResidualInput = len(in)
			in = append(in, residual)
		}
		fk, ok := f.Fuse(e)
		if !ok {
			continue
		}
		fused := step{node: st.node, kernel: fk, in: in, out: []int{cur}, unfused: []step{*st}}
		for _, j := range chain {
			fused.unfused = append(fused.unfused, p.steps[j])
			removed[j] = true
			producer[p.steps[j].out[0]] = i
		}
		p.steps[i] = fused
	}
	p.dropSteps(removed)
}

// dataflow is who reads and who produces the runtime slots of a program's
// steps (constants excluded), and which slots are graph outputs.
type dataflow struct {
	readers  map[int][]int // step indices, in order
	producer map[int]int
	isOutput map[int]bool
}

func (p *Program) dataflow() *dataflow {
	df := &dataflow{readers: map[int][]int{}, producer: map[int]int{}, isOutput: map[int]bool{}}
	for i, st := range p.steps {
		for _, s := range st.in {
			if s >= 0 && p.constants[s] == nil {
				df.readers[s] = append(df.readers[s], i)
			}
		}
		for _, s := range st.out {
			if s >= 0 {
				df.producer[s] = i
			}
		}
	}
	for _, s := range p.outSlots {
		df.isOutput[s] = true
	}
	return df
}

// soleReader returns the one step that reads slot s, which is no graph
// output.
func (df *dataflow) soleReader(s int) (int, bool) {
	r := df.readers[s]
	if len(r) != 1 || df.isOutput[s] {
		return 0, false
	}
	return r[0], true
}

// dropSteps removes the marked steps (merged into fused steps).
func (p *Program) dropSteps(removed []bool) {
	kept := p.steps[:0]
	for i, st := range p.steps {
		if !removed[i] {
			kept = append(kept, st)
		}
	}
	p.steps = kept
}

// silu finds x·Sigmoid(x) on slot x: a Sigmoid step and a Mul step that
// are x's only readers, the Mul reading x and the Sigmoid's output (its only
// reader), neither x nor the Sigmoid's output a graph output.
func (p *Program) silu(x int, readers map[int][]int, isOutput map[int]bool) (sig, mul int, ok bool) {
	r := readers[x]
	if x < 0 || len(r) != 2 || isOutput[x] {
		return 0, 0, false
	}
	sig, mul = r[0], r[1]
	if p.steps[sig].node.OpType != "Sigmoid" {
		sig, mul = mul, sig
	}
	s, m := p.steps[sig], p.steps[mul]
	if s.node.OpType != "Sigmoid" || len(s.in) != 1 || len(s.out) != 1 || s.out[0] < 0 ||
		m.node.OpType != "Mul" || len(m.in) != 2 || len(m.out) != 1 || m.out[0] < 0 || sig > mul {
		return 0, 0, false
	}
	y := s.out[0]
	if isOutput[y] || len(readers[y]) != 1 || !(m.in[0] == x && m.in[1] == y || m.in[0] == y && m.in[1] == x) {
		return 0, 0, false
	}
	return sig, mul, true
}

// rowBias returns a float32 constant of shape [n] or [1, ..., 1, n] as a
// bias along the last axis.
func rowBias(c *tensor.Tensor) ([]float32, bool) {
	if c.DType != tensor.Float32 || c.Rank() == 0 || c.Len() == 0 {
		return nil, false
	}
	for _, d := range c.Shape[:c.Rank()-1] {
		if d != 1 {
			return nil, false
		}
	}
	return c.Float32s(), true
}

// activation reports whether st is a Relu, or a Clip with constant float32
// bounds, and records it in e.
func (p *Program) activation(st step, e *kernel.Epilogue) bool {
	if len(st.out) != 1 || st.out[0] < 0 || len(st.in) == 0 || st.in[0] < 0 {
		return false
	}
	switch st.node.OpType {
	case "Relu":
		if len(st.in) != 1 {
			return false
		}
		e.Act = kernel.ActRelu
		return true
	case "Clip":
		if p.opset < 11 {
			lo, hasLo, err := floatAttr(st.node, "min")
			if err != nil {
				return false
			}
			hi, hasHi, err := floatAttr(st.node, "max")
			if err != nil {
				return false
			}
			e.Act, e.Lo, e.HasLo, e.Hi, e.HasHi = kernel.ActClip, lo, hasLo, hi, hasHi
			return true
		}
		var bounds [2]float32
		var has [2]bool
		for b := 0; b < 2; b++ {
			if 1+b >= len(st.in) || st.in[1+b] < 0 {
				continue
			}
			c := p.constants[st.in[1+b]]
			if c == nil || c.DType != tensor.Float32 || c.Len() != 1 {
				return false
			}
			bounds[b], has[b] = c.Float32s()[0], true
		}
		e.Act, e.Lo, e.HasLo, e.Hi, e.HasHi = kernel.ActClip, bounds[0], has[0], bounds[1], has[1]
		return true
	}
	return false
}

func floatAttr(n *onnx.Node, name string) (float32, bool, error) {
	if _, ok := n.Attr(name); !ok {
		return 0, false, nil
	}
	v, err := n.AttrFloat(name, 0)
	return v, err == nil, err
}
