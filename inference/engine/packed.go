package engine

import (
	"slices"

	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// dropPackedConstants replaces every float32 constant that is read only as
// a packed input of kernel.Packer kernels (by fused steps and the steps they
// stand for alike), and is no graph output, with a tensor of the same dtype
// and shape without data. The kernels read only its shape, so runs give the
// same bits with the weights in memory once.
func (p *Program) dropPackedConstants() {
	droppable := map[int]bool{}
	visit := func(st *step) {
		var packed []int
		if pk, ok := st.kernel.(kernel.Packer); ok {
			packed = pk.PackedInputs()
		}
		for j, s := range st.in {
			if s < 0 || p.constants[s] == nil {
				continue
			}
			ok, seen := droppable[s]
			droppable[s] = (ok || !seen) && slices.Contains(packed, j)
		}
	}
	for i := range p.steps {
		visit(&p.steps[i])
		for k := range p.steps[i].unfused {
			visit(&p.steps[i].unfused[k])
		}
	}
	for _, s := range p.outSlots {
		droppable[s] = false
	}
	for s, ok := range droppable {
		c := p.constants[s]
		if ok && c.DType == tensor.Float32 {
			p.constants[s] = &tensor.Tensor{DType: c.DType, Shape: append([]int(nil), c.Shape...), Data: []float32(nil)}
		}
	}
	p.packedOnly = true
}

// ScratchBytes is the temporary memory the program's kernels keep between
// runs (a convolution's im2col matrix: 116 MB for VGG-16's second layer),
// as far as the runs so far needed it; run the program once to know it.
func (p *Program) ScratchBytes() int64 { return p.scratch.Bytes() }

// shareScratch gives every kernel.ScratchUser (fused steps and the steps
// they stand for alike) the program's one Scratch, so that temporary
// buffers are allocated once per program (and per concurrent run), not per
// kernel and run.
func (p *Program) shareScratch() {
	s := new(kernel.Scratch)
	p.scratch = s
	for i := range p.steps {
		for _, st := range append([]step{p.steps[i]}, p.steps[i].unfused...) {
			if u, ok := st.kernel.(kernel.ScratchUser); ok {
				u.UseScratch(s)
			}
		}
	}
}
