// Package kerneltest helps operator packages test their builders: it
// compiles a node from an op type and attributes, runs it twice and checks
// that both runs give the same bits (kernels must be deterministic) and
// that the inputs were left unchanged.
package kerneltest

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Int, Float, String, Ints, Floats and Strings make attributes.
func Int(name string, v int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

// Float makes a FLOAT attribute.
func Float(name string, v float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

// String makes a STRING attribute.
func String(name, v string) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

// Ints makes an INTS attribute.
func Ints(name string, v ...int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

// Floats makes a FLOATS attribute.
func Floats(name string, v ...float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloats, Floats: v}
}

// Strings makes a STRINGS attribute.
func Strings(name string, v ...string) onnx.Attribute {
	a := onnx.Attribute{Name: name, Type: onnx.AttrStrings}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

// Node returns a node of opType with the given attributes; its inputs and
// outputs are named by position.
func Node(opType string, nIn, nOut int, attrs ...onnx.Attribute) *onnx.Node {
	n := &onnx.Node{OpType: opType, Attrs: attrs}
	for i := 0; i < nIn; i++ {
		n.Inputs = append(n.Inputs, "in"+string(rune('0'+i)))
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, "out"+string(rune('0'+i)))
	}
	return n
}

// Run compiles n with b at opset and runs it on inputs (nil entries are
// omitted optional inputs). It fails the test on a build or run error, if a
// second run differs in any bit, or if an input was modified.
func Run(t testing.TB, b kernel.Builder, n *onnx.Node, opset int64, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := RunErr(b, n, opset, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", n.OpType, err)
	}
	return out
}

// RunErr is Run returning the error instead of failing; determinism and
// input checks still apply when it succeeds.
func RunErr(b kernel.Builder, n *onnx.Node, opset int64, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	k, err := b(n, opset, make([]*tensor.Tensor, len(inputs)))
	if err != nil {
		return nil, err
	}
	before := make([]*tensor.Tensor, len(inputs))
	for i, in := range inputs {
		if in != nil {
			before[i] = in.Clone()
		}
	}
	first, err := k.Run(inputs)
	if err != nil {
		return nil, err
	}
	second, err := k.Run(inputs)
	if err != nil {
		return nil, err
	}
	for i := range first {
		if !sameBits(first[i], second[i]) {
			return nil, fmt.Errorf("output %d differs between two runs", i)
		}
	}
	for i, in := range inputs {
		if in != nil && !sameBits(in, before[i]) {
			return nil, fmt.Errorf("input %d was modified", i)
		}
	}
	return first, nil
}

func sameBits(a, b *tensor.Tensor) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	ab, err1 := a.RawBytes()
	bb, err2 := b.RawBytes()
	if err1 != nil || err2 != nil {
		as, ok1 := a.Data.([]string)
		bs, ok2 := b.Data.([]string)
		if !ok1 || !ok2 || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return bytes.Equal(ab, bb)
}

// Close fails the test unless got has the given shape and every element is
// within tol of want (NaN matches NaN).
func Close(t testing.TB, what string, got *tensor.Tensor, shape []int, want []float64, tol float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no output", what)
	}
	if !tensor.SameShape(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	v, err := kernel.Floats(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(v) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(v), len(want))
	}
	for i := range v {
		if math.IsNaN(want[i]) && math.IsNaN(v[i]) {
			continue
		}
		if !(math.Abs(v[i]-want[i]) <= tol) {
			t.Fatalf("%s: element %d is %g, want %g (all: %v)", what, i, v[i], want[i], v)
		}
	}
}

// F32 makes a float32 tensor.
func F32(shape []int, v ...float32) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }

// I64 makes an int64 tensor.
func I64(shape []int, v ...int64) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }
