package engine

import (
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// rewriteKernel replaces the kernel of node n, compiled as k, by a faster
// one that computes the same bits, or returns k. consts are the node's
// constant inputs.
//
// Pow(x, 2) with a constant exponent 2 (LayerNorm as torch exports it)
// becomes x·x for floating-point x: the operator computes the float64 power
// and rounds it, and the float64 square of a float32 is exact, so both give
// the correctly rounded square.
func rewriteKernel(n *onnx.Node, k kernel.Kernel, consts []*tensor.Tensor) kernel.Kernel {
	if n.OpType == "Pow" && len(consts) == 2 && consts[1] != nil && consts[0] == nil && isScalarTwo(consts[1]) {
		return squareKernel{pow: k}
	}
	return k
}

func isScalarTwo(t *tensor.Tensor) bool {
	if t.Len() != 1 {
		return false
	}
	switch d := t.Data.(type) {
	case []float32:
		return d[0] == 2
	case []float64:
		return d[0] == 2
	}
	return false
}

// squareKernel computes Pow(x, 2) as x·x for float32 and float64 x, and
// runs the Pow kernel for any other type.
type squareKernel struct{ pow kernel.Kernel }

func (k squareKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := kernel.Input(inputs, 0)
	e := kernel.Input(inputs, 1)
	if x == nil || e == nil || e.Rank() > x.Rank() {
		return k.pow.Run(inputs)
	}
	switch x.DType {
	case tensor.Float32:
		y := tensor.New(x.DType, x.Shape...)
		square(y.Float32s(), x.Float32s())
		return []*tensor.Tensor{y}, nil
	case tensor.Float64:
		y := tensor.New(x.DType, x.Shape...)
		square(y.Float64s(), x.Float64s())
		return []*tensor.Tensor{y}, nil
	}
	return k.pow.Run(inputs)
}

func square[T float32 | float64](dst, src []T) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v * v
	}
}
