package slice

import (
	"fmt"
	"sort"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
)

// Part is one partition: units [Start, End) as a standalone model.
type Part struct {
	Index       int
	Start, End  int
	Model       *onnx.Model
	Inputs      []Value // graph inputs of Model, in the order of the cut before
	Outputs     []Value // graph outputs of Model, in the order of the cut after
	Forward     []Value // tensors passed through unchanged to the next partition
	WeightBytes int64
}

// Partition cuts the analysed model after the given units. cuts must be
// strictly increasing unit indices in [0, len(Units)-1); no cuts gives one
// partition holding the whole model.
func (a *Analysis) Partition(cuts []int) ([]Part, error) {
	n := len(a.Units)
	for i, c := range cuts {
		if c < 0 || c >= n-1 {
			return nil, fmt.Errorf("cut after unit %d: the model has units 0..%d and a cut must leave a unit on each side", c, n-1)
		}
		if i > 0 && c <= cuts[i-1] {
			return nil, fmt.Errorf("cuts must be strictly increasing: %v", cuts)
		}
	}
	bounds := append([]int{0}, make([]int, 0, len(cuts)+1)...)
	for _, c := range cuts {
		bounds = append(bounds, c+1)
	}
	bounds = append(bounds, n)
	parts := make([]Part, 0, len(bounds)-1)
	for i := 0; i+1 < len(bounds); i++ {
		p, err := a.part(i, bounds[i], bounds[i+1])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// EvenCuts spreads parts partitions over the units so that each holds about
// the same number of units.
func (a *Analysis) EvenCuts(parts int) ([]int, error) {
	n := len(a.Units)
	if parts < 1 || parts > n {
		return nil, fmt.Errorf("cannot make %d partitions of %d units", parts, n)
	}
	cuts := make([]int, 0, parts-1)
	for i := 1; i < parts; i++ {
		cuts = append(cuts, i*n/parts-1)
	}
	return cuts, nil
}

// ChunkCuts groups consecutive units into chunks whose weights (the sum of
// their units' WeightBytes) stay within budget and returns the cuts between
// the chunks, for Partition. A unit is never split: one heavier than the
// budget is a chunk of its own. budget <= 0 means one chunk.
func (a *Analysis) ChunkCuts(budget int64) []int {
	cuts := []int{}
	if budget <= 0 {
		return cuts
	}
	var sum int64
	for i, u := range a.Units {
		if i > 0 && sum > 0 && sum+u.WeightBytes > budget {
			cuts = append(cuts, i-1)
			sum = 0
		}
		sum += u.WeightBytes
	}
	return cuts
}

func (a *Analysis) part(index, start, end int) (Part, error) {
	p := Part{Index: index, Start: start, End: end}
	produced := map[string]bool{}
	var nodes []*onnx.Node
	for u := start; u < end; u++ {
		for _, n := range a.Units[u].Nodes {
			nodes = append(nodes, n)
			for _, o := range n.Outputs {
				if o != "" {
					produced[o] = true
				}
			}
		}
	}
	reads := map[string]bool{}
	usedConsts := map[string]bool{}
	for _, n := range nodes {
		for _, in := range engine.NodeInputs(n) {
			if in == "" {
				continue
			}
			if _, ok := a.consts[in]; ok {
				usedConsts[in] = true
				continue
			}
			if !produced[in] {
				reads[in] = true
			}
		}
	}
	before, after := a.CutAfter(start-1), a.CutAfter(end-1)
	for _, v := range before.Tensors {
		if reads[v.Name] {
			p.Inputs = append(p.Inputs, v)
			delete(reads, v.Name)
		}
	}
	if len(reads) > 0 {
		names := make([]string, 0, len(reads))
		for r := range reads {
			names = append(names, r)
		}
		sort.Strings(names)
		return p, fmt.Errorf("partition %d reads %v, which do not cross the cut before it", index, names)
	}
	for _, v := range after.Tensors {
		if produced[v.Name] {
			p.Outputs = append(p.Outputs, v)
		} else {
			p.Forward = append(p.Forward, v)
		}
	}

	g := &onnx.Graph{Name: fmt.Sprintf("%s_part%d", a.Model.Graph.Name, index), Nodes: nodes}
	for _, v := range p.Inputs {
		g.Inputs = append(g.Inputs, onnx.TensorValueInfo(v.Name, v.DType, v.Shape))
	}
	for _, v := range p.Outputs {
		g.Outputs = append(g.Outputs, onnx.TensorValueInfo(v.Name, v.DType, v.Shape))
	}
	for _, init := range a.Model.Graph.Initializers {
		if usedConsts[init.Name] {
			g.Initializers = append(g.Initializers, init)
			p.WeightBytes += init.Tensor.ByteSize()
		}
	}
	for _, n := range nodes {
		for _, o := range n.Outputs {
			if v, ok := a.Values[o]; ok && o != "" && !isIn(o, p.Outputs) {
				g.ValueInfo = append(g.ValueInfo, onnx.TensorValueInfo(o, v.DType, v.Shape))
			}
		}
	}
	m := *a.Model
	m.Graph = g
	m.ProducerName = "papdl"
	m.DocString = fmt.Sprintf("papdl partition %d: units %d..%d of %s", index, start, end-1, a.Model.Graph.Name)
	p.Model = &m
	return p, nil
}

func isIn(name string, vs []Value) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}
