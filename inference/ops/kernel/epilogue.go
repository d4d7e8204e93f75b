package kernel

import (
	"errors"
	"math"

	"github.com/papdl/papdl/inference/ops/kernel/vmath"
)

// Activation is an element-wise function an Epilogue applies last.
type Activation int

// The activations an Epilogue can apply. Each computes exactly what the
// unfused ONNX operator computes, so fusing never changes a bit.
const (
	// ActNone applies nothing.
	ActNone Activation = iota
	// ActRelu is Relu: x < 0 becomes 0 (NaN stays NaN).
	ActRelu
	// ActClip is Clip with the bounds Lo and Hi (each when HasLo, HasHi).
	ActClip
	// ActSiLU is x·sigmoid(x) as the nodes Sigmoid and Mul compute it on
	// float32 tensors: vmath.Sigmoid, then the float32 product with x
	// (vmath.SiLU).
	ActSiLU
)

// Sigmoid is the logistic function as the Sigmoid operator computes it on
// float64 tensors (float32 tensors use vmath.Sigmoid).
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Epilogue is element-wise work fused into the kernel that produces a
// tensor: out = Act(out + residual) or Act(out + bias). With Residual, the
// fused kernel takes its input number ResidualInput as the residual, which
// must have exactly the output's shape and dtype (as in ResNet's Add of the
// shortcut). Bias, when non-nil, is a constant added along the output's last
// axis (out[..., j] + Bias[j], a Linear layer's bias after MatMul); its
// length must equal the last dimension.
type Epilogue struct {
	Residual      bool
	ResidualInput int
	Bias          []float32
	Act           Activation
	Lo, Hi        float32
	HasLo, HasHi  bool
}

// ErrNotFused is returned by a fused kernel's Run when it cannot apply its
// epilogue to this run's tensors (a residual of another shape or dtype). The
// caller then runs the original nodes one by one.
var ErrNotFused = errors.New("epilogue does not apply to these inputs")

// Fuser is implemented by kernels that can compute an Epilogue while they
// write their output (an epilogue of a matrix product, applied to each tile
// while it is in cache). Fuse returns the fused kernel, or false when the
// kernel cannot compute e; the receiver is unchanged.
type Fuser interface {
	Fuse(e Epilogue) (Kernel, bool)
}

// Apply computes dst[i] = Act(dst[i] + res[i]) (without the sum when res is
// nil), or Act(dst[i] + Bias[(j0+i) % len(Bias)]) when the epilogue has a
// bias and dst starts at column j0 of a row, in the order the unfused
// operators would: Add, then the activation. The sum and a Relu or Clip are
// one pass over dst (vectorised where the CPU allows, with the bits of the
// scalar operations).
func (e *Epilogue) Apply(dst, res []float32, j0 int) {
	e.apply(bestISA(), dst, res, j0, 0, false)
}

// AddApply adds b to every element of dst, then applies the epilogue as
// Apply does: dst[i] = Act((dst[i] + b) + res[i]) and so on, the order of a
// convolution's bias followed by the fused Add, in one pass over dst. e may
// be nil: then AddApply only adds b.
func (e *Epilogue) AddApply(dst, res []float32, j0 int, b float32) {
	e.apply(bestISA(), dst, res, j0, b, true)
}

// apply is Apply (hasS false) or AddApply (hasS true, adding s) with the
// row kernels of instruction set p.
func (e *Epilogue) apply(p isa, dst, res []float32, j0 int, s float32, hasS bool) {
	act := ActNone
	if e != nil {
		act = e.Act
	}
	// Relu and Clip are a clamp to [lo, hi]: with the comparisons of
	// addClamp, a missing bound is an infinite one and Relu's bound is +0
	// (so that -0 and NaN stay as they are).
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	clamp := false
	switch act {
	case ActRelu:
		lo, clamp = 0, true
	case ActClip:
		if e.HasLo {
			lo = e.Lo
		}
		if e.HasHi {
			hi = e.Hi
		}
		clamp = true
	}
	switch {
	case e != nil && res != nil:
		addClamp(p, dst, res[:len(dst)], s, hasS, lo, hi, clamp)
	case e != nil && e.Bias != nil:
		// The bias vector is added in runs of consecutive columns,
		// starting again at Bias[0] after its last element.
		b := e.Bias
		j := j0 % len(b)
		for d := dst; len(d) > 0; j = 0 {
			n := min(len(d), len(b)-j)
			addClamp(p, d[:n], b[j:j+n], s, hasS, lo, hi, clamp)
			d = d[n:]
		}
	case hasS || clamp:
		addClamp(p, dst, nil, s, hasS, lo, hi, clamp)
	}
	if act == ActSiLU {
		vmath.SiLU(dst, dst)
	}
}

// isa is an instruction set the row kernels run on.
type isa int

// The instruction sets: portable Go, AVX2 (8 lanes) and AVX-512 (16 lanes).
const (
	isaGo isa = iota
	isaAVX2
	isaAVX512
)

// bestISA returns the fastest instruction set this CPU runs (the choice is
// fixed at start-up; every path gives the same bits).
func bestISA() isa {
	switch {
	case useAVX512:
		return isaAVX512
	case useAVX2:
		return isaAVX2
	}
	return isaGo
}

// rowKernel is an assembly row kernel: dst[i] = clamp((dst[i] + s) +
// add[i]) for i < n, with the scalar sum, the vector sum and the clamp each
// as the kernel's name says (n >= 0, any length).
type rowKernel func(n int, dst, add *float32, s, lo, hi float32)

// addClamp sets dst[i] to (dst[i] + s) + add[i] (the first sum only when
// hasS, the second only when add is non-nil; add has dst's length), then,
// when clamp, to lo if it is below lo and to hi if it is above hi, like the
// Go comparisons (a NaN stays, -0 stays when lo is +0), with instruction
// set p. The kernels always clamp: with lo = -Inf and hi = +Inf the clamp
// returns its input unchanged, NaNs included.
func addClamp(p isa, dst, add []float32, s float32, hasS bool, lo, hi float32, clamp bool) {
	if p == isaGo || len(dst) == 0 {
		addClampGo(dst, add, s, hasS, lo, hi, clamp)
		return
	}
	// The kernel by the sums it does: 1 with s, 2 with add[i] (rowKernels).
	form := 0
	if hasS {
		form = 1
	}
	var a *float32
	if add != nil {
		form += 2
		a = &add[:len(dst)][0]
	}
	rowKernels[p][form](len(dst), &dst[0], a, s, lo, hi)
}

// addClampGo is addClamp in portable Go, one loop over dst (clampf is
// inlined: a call or a test of clamp per element would make the loop
// slower than the two loops it replaces). Each sum keeps dst[i]'s value in
// the register the compiler adds to, as the loops it replaced did (the
// test checks which NaN a sum of two NaNs keeps).
func addClampGo(dst, add []float32, s float32, hasS bool, lo, hi float32, clamp bool) {
	if add != nil {
		add = add[:len(dst)]
	}
	switch {
	case !clamp:
		switch {
		case hasS && add != nil:
			for i, v := range dst {
				v += s
				v += add[i]
				dst[i] = v
			}
		case hasS:
			for i := range dst {
				dst[i] += s
			}
		case add != nil:
			for i, v := range dst {
				v += add[i]
				dst[i] = v
			}
		}
	case hasS && add != nil:
		for i, v := range dst {
			v += s
			v += add[i]
			dst[i] = clampf(v, lo, hi)
		}
	case hasS:
		for i, v := range dst {
			v += s
			dst[i] = clampf(v, lo, hi)
		}
	case add != nil:
		for i, v := range dst {
			v += add[i]
			dst[i] = clampf(v, lo, hi)
		}
	default:
		for i, v := range dst {
			dst[i] = clampf(v, lo, hi)
		}
	}
}

// clampf is v < lo ? lo : v, then v > hi ? hi : v (a NaN stays, -0 stays
// when lo is +0).
func clampf(v, lo, hi float32) float32 {
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	return v
}
