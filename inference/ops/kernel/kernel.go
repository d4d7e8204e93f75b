// Package kernel defines the contract between papdl's execution engine and
// its operator packages (nn, mathops, shapeops): a Builder compiles one ONNX
// node into a Kernel, and a few helpers every operator needs (axes,
// attribute checks).
package kernel

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// Kernel runs one compiled node. inputs follow the node's input order, with
// nil for an omitted optional input (and len(inputs) may be shorter than the
// operator's maximum arity); the result follows its output order. Run must
// not modify its inputs, must allocate its outputs (an output may share an
// input's Data only when the bytes are identical, as in Identity or Reshape)
// and must be safe for concurrent calls.
type Kernel interface {
	Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// Func adapts a function to Kernel.
type Func func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error)

// Run calls f.
func (f Func) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) { return f(inputs) }

// Builder compiles node n of a model importing the given opset of the ONNX
// default domain. consts[i] is the value of input i when it is a constant
// known at compile time (an initializer or a folded constant) and nil
// otherwise; builders may use it to precompute (pack weights, resolve a
// shape) but must still accept any runtime input when consts[i] is nil.
// Errors describe the problem without the node's name (the registry adds it).
type Builder func(n *onnx.Node, opset int64, consts []*tensor.Tensor) (Kernel, error)

// AddFunc registers a builder for an op type.
type AddFunc func(opType string, b Builder)

// NormalizeAxis maps a possibly negative axis into [0, rank).
func NormalizeAxis(axis int64, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(a), nil
}

// Input returns inputs[i], or nil when it is absent.
func Input(inputs []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(inputs) {
		return inputs[i]
	}
	return nil
}

// NeedInputs checks that the first n inputs are present.
func NeedInputs(inputs []*tensor.Tensor, n int) error {
	for i := 0; i < n; i++ {
		if Input(inputs, i) == nil {
			return fmt.Errorf("missing required input %d (have %d)", i, len(inputs))
		}
	}
	return nil
}

// Reuser is implemented by kernels that can write their output into the
// memory of an input the caller no longer needs, instead of allocating it
// (element-wise operators, whose output element i depends only on input
// element i). RunReusing is Run, except that the kernel may overwrite
// inputs[i].Data for every i with spare[i] and return an output that holds
// it; the bits of the outputs are the same as Run's. The caller sets
// spare[i] only when no other live tensor shares that memory, and does not
// read inputs[i] afterwards.
type Reuser interface {
	RunReusing(inputs []*tensor.Tensor, spare []bool) ([]*tensor.Tensor, error)
}
