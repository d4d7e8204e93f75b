package engine

import (
	"math"
	"slices"

	"github.com/papdl/papdl/inference/ops/mathops"
	"github.com/papdl/papdl/inference/tensor"
)

// fuseLayerNorms merges LayerNorm as torch.onnx.export writes it below
// opset 17,
//
//	m = ReduceMean(x, axes=[a]); d = Sub(x, m); p = Pow(d, 2)
//	v = ReduceMean(p, axes=[a]); e = Add(v, eps); s = Sqrt(e); q = Div(d, s)
//	[r = Mul(q, gamma)] [y = Add(r, beta)]
//
// into one step that runs mathops.NormChain, which computes the same bits
// row by row while each row is in cache. eps, gamma and beta must be float32
// constants without NaN (eps a single value, gamma and beta rows like
// rowBias's), both ReduceMeans keep their dimensions, and every
// intermediate tensor (m, d, p, v, e, s, and q, r when followed) must be read
// only inside the pattern and be no graph output; x may have other readers.
// Whether a is x's last axis is known only at run time: NormChain returns
// kernel.ErrNotFused otherwise, and the nodes run one by one, as they do
// when a partition boundary falls inside the pattern.
func (p *Program) fuseLayerNorms() {
	if p.opset < 7 {
		return // legacy broadcasting rules for Sub, Add, Div and Mul
	}
	df := p.dataflow()
	removed := make([]bool, len(p.steps))
	for i := range p.steps {
		if removed[i] {
			continue
		}
		chain, k, ok := p.layerNorm(i, df)
		if !ok || slices.ContainsFunc(chain, func(j int) bool { return removed[j] }) {
			continue
		}
		slices.Sort(chain)
		st := p.steps[i]
		fused := step{node: st.node, kernel: k, in: []int{st.in[0]}, out: p.steps[chain[len(chain)-1]].out}
		for _, j := range chain {
			fused.unfused = append(fused.unfused, p.steps[j])
			removed[j] = j != i
		}
		p.steps[i] = fused
	}
	p.dropSteps(removed)
}

// layerNorm matches the pattern of fuseLayerNorms starting at the first
// ReduceMean, step i, and returns the steps it covers (i first) and the
// kernel that computes it.
func (p *Program) layerNorm(i int, df *dataflow) ([]int, *mathops.NormChain, bool) {
	mean1 := p.steps[i]
	axis, ok := p.meanAxis(mean1)
	x := mean1.in[0]
	if !ok || p.constants[x] != nil {
		return nil, nil, false
	}
	// next returns the sole reader of slot s if it is a one-output op step
	// reading s as input number arg.
	next := func(s int, op string, arg int) (int, bool) {
		j, ok := df.soleReader(s)
		if !ok {
			return 0, false
		}
		st := p.steps[j]
		if st.node.OpType != op || len(st.out) != 1 || st.out[0] < 0 || arg >= len(st.in) || st.in[arg] != s {
			return 0, false
		}
		return j, true
	}
	sub, ok := next(mean1.out[0], "Sub", 1)
	if !ok || len(p.steps[sub].in) != 2 || p.steps[sub].in[0] != x {
		return nil, nil, false
	}
	d := p.steps[sub].out[0]
	r := df.readers[d]
	if len(r) != 2 || df.isOutput[d] {
		return nil, nil, false
	}
	pow, div := r[0], r[1]
	if _, sq := p.steps[pow].kernel.(squareKernel); !sq {
		pow, div = div, pow
	}
	if _, sq := p.steps[pow].kernel.(squareKernel); !sq || p.steps[pow].in[0] != d || len(p.steps[pow].out) != 1 {
		return nil, nil, false
	}
	if dv := p.steps[div]; dv.node.OpType != "Div" || len(dv.in) != 2 || dv.in[0] != d || len(dv.out) != 1 || dv.out[0] < 0 {
		return nil, nil, false
	}
	mean2, ok := next(p.steps[pow].out[0], "ReduceMean", 0)
	if !ok {
		return nil, nil, false
	}
	if axis2, ok := p.meanAxis(p.steps[mean2]); !ok || axis2 != axis {
		return nil, nil, false
	}
	k := &mathops.NormChain{Axis: axis}
	addEps, eps, ok := p.constOperand(p.steps[mean2].out[0], "Add", df)
	if !ok || eps.Len() != 1 {
		return nil, nil, false
	}
	k.Eps, k.ConstRank = eps.Float32s()[0], eps.Rank()
	sqrt, ok := next(p.steps[addEps].out[0], "Sqrt", 0)
	if !ok || len(p.steps[sqrt].in) != 1 {
		return nil, nil, false
	}
	if j, ok := next(p.steps[sqrt].out[0], "Div", 1); !ok || j != div {
		return nil, nil, false
	}
	chain := []int{i, sub, pow, mean2, addEps, sqrt, div}
	cur := p.steps[div].out[0]
	for _, op := range []string{"Mul", "Add"} {
		j, c, ok := p.constOperand(cur, op, df)
		if !ok {
			continue
		}
		row, ok := rowBias(c)
		if !ok {
			continue
		}
		if op == "Mul" {
			k.Gamma = row
		} else {
			k.Beta = row
		}
		k.ConstRank = max(k.ConstRank, c.Rank())
		chain = append(chain, j)
		cur = p.steps[j].out[0]
	}
	return chain, k, true
}

// meanAxis returns the one axis of a ReduceMean step that keeps its
// dimensions and reads a runtime tensor: the axes attribute below opset
// 18, a constant axes input from 18 on.
func (p *Program) meanAxis(st step) (int64, bool) {
	if st.node.OpType != "ReduceMean" || len(st.out) != 1 || st.out[0] < 0 || len(st.in) == 0 || st.in[0] < 0 {
		return 0, false
	}
	if keep, err := st.node.AttrInt("keepdims", 1); err != nil || keep != 1 {
		return 0, false
	}
	var axes []int64
	if p.opset < 18 {
		a, err := st.node.AttrInts("axes", nil)
		if err != nil || len(st.in) != 1 {
			return 0, false
		}
		axes = a
	} else {
		if len(st.in) != 2 || st.in[1] < 0 {
			return 0, false
		}
		c := p.constants[st.in[1]]
		if c == nil || c.DType != tensor.Int64 {
			return 0, false
		}
		axes = c.Int64s()
	}
	if len(axes) != 1 {
		return 0, false
	}
	return axes[0], true
}

// constOperand returns the sole reader of slot s if it is a one-output
// binary op step whose other input is a float32 constant without NaN, and
// that constant.
func (p *Program) constOperand(s int, op string, df *dataflow) (int, *tensor.Tensor, bool) {
	j, ok := df.soleReader(s)
	if !ok {
		return 0, nil, false
	}
	st := p.steps[j]
	if st.node.OpType != op || len(st.in) != 2 || len(st.out) != 1 || st.out[0] < 0 {
		return 0, nil, false
	}
	other := st.in[0]
	if other == s {
		other = st.in[1]
	}
	if other < 0 || other == s {
		return 0, nil, false
	}
	c := p.constants[other]
	if c == nil || c.DType != tensor.Float32 || slices.ContainsFunc(c.Float32s(), func(v float32) bool { return math.IsNaN(float64(v)) }) {
		return 0, nil, false
	}
	return j, c, true
}
