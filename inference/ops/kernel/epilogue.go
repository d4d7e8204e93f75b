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
// operators would: Add, then the activation.
func (e *Epilogue) Apply(dst, res []float32, j0 int) {
	if res != nil {
		res = res[:len(dst)]
		for i, v := range res {
			dst[i] += v
		}
	} else if b := e.Bias; b != nil {
		j := j0 % len(b)
		for i := range dst {
			dst[i] += b[j]
			if j++; j == len(b) {
				j = 0
			}
		}
	}
	switch e.Act {
	case ActRelu:
		for i, v := range dst {
			if v < 0 {
				dst[i] = 0
			}
		}
	case ActClip:
		for i, v := range dst {
			if e.HasLo && v < e.Lo {
				v = e.Lo
			}
			if e.HasHi && v > e.Hi {
				v = e.Hi
			}
			dst[i] = v
		}
	case ActSiLU:
		vmath.SiLU(dst, dst)
	}
}
