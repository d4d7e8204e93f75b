package nn

import (
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// withHalf lets a float32 operator serve float16 models: float16 constants
// and inputs are widened to float32 (exactly), the float32 kernel runs, and
// when the first input was float16 its float32 outputs are rounded to
// nearest-even float16. Accumulating in float32 is at least as accurate as
// half arithmetic, and the rounding is deterministic.
func withHalf(b kernel.Builder) kernel.Builder {
	return func(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
		wide := make([]*tensor.Tensor, len(consts))
		for i, c := range consts {
			wide[i] = widenHalf(c)
		}
		k, err := b(n, opset, wide)
		if err != nil {
			return nil, err
		}
		return halfKernel{k}, nil
	}
}

type halfKernel struct{ inner kernel.Kernel }

func (h halfKernel) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	half := false
	for _, t := range in {
		if t != nil && t.DType == tensor.Float16 {
			half = true
		}
	}
	if !half {
		return h.inner.Run(in)
	}
	wide := make([]*tensor.Tensor, len(in))
	for i, t := range in {
		wide[i] = widenHalf(t)
	}
	outs, err := h.inner.Run(wide)
	if err != nil {
		return nil, err
	}
	if in[0] != nil && in[0].DType == tensor.Float16 {
		for i, o := range outs {
			if o != nil && o.DType == tensor.Float32 {
				narrow := tensor.New(tensor.Float16, o.Shape...)
				bits := narrow.Data.([]uint16)
				for j, v := range o.Float32s() {
					bits[j] = tensor.HalfFromFloat64(float64(v))
				}
				outs[i] = narrow
			}
		}
	}
	return outs, nil
}

// widenHalf returns a float32 copy of a float16 tensor, other tensors as
// they are.
func widenHalf(t *tensor.Tensor) *tensor.Tensor {
	if t == nil || t.DType != tensor.Float16 {
		return t
	}
	out := tensor.New(tensor.Float32, t.Shape...)
	for i, b := range t.Data.([]uint16) {
		out.Float32s()[i] = tensor.HalfToFloat32(b)
	}
	return out
}

// Fuse fuses e into the float32 kernel. The fused kernel serves float32 runs
// only: a run with a float16 input returns kernel.ErrNotFused, so the caller
// runs the original nodes, which round between them.
func (h halfKernel) Fuse(e kernel.Epilogue) (kernel.Kernel, bool) {
	f, ok := h.inner.(kernel.Fuser)
	if !ok {
		return nil, false
	}
	fk, ok := f.Fuse(e)
	if !ok {
		return nil, false
	}
	return halfFused{fk}, true
}

type halfFused struct{ inner kernel.Kernel }

func (h halfFused) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	for _, t := range in {
		if t != nil && t.DType == tensor.Float16 {
			return nil, kernel.ErrNotFused
		}
	}
	return h.inner.Run(in)
}

// PackedInputs forwards the float32 kernel's kernel.Packer: a float16
// constant is widened at every run, so the engine keeps float16 data.
func (h halfKernel) PackedInputs() []int { return packedInputs(h.inner) }

// PackedInputs forwards the fused kernel's kernel.Packer.
func (h halfFused) PackedInputs() []int { return packedInputs(h.inner) }

func packedInputs(k kernel.Kernel) []int {
	if p, ok := k.(kernel.Packer); ok {
		return p.PackedInputs()
	}
	return nil
}

// UseScratch forwards kernel.ScratchUser to the float32 kernel.
func (h halfKernel) UseScratch(s *kernel.Scratch) { useScratch(h.inner, s) }

// UseScratch forwards kernel.ScratchUser to the fused kernel.
func (h halfFused) UseScratch(s *kernel.Scratch) { useScratch(h.inner, s) }

func useScratch(k kernel.Kernel, s *kernel.Scratch) {
	if u, ok := k.(kernel.ScratchUser); ok {
		u.UseScratch(s)
	}
}
