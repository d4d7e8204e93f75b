package main

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// TestWarmUpRaisesTheControllersLimitByTheScratch serves a convolution (an
// im2col scratch of C·9·H·W floats): the warm-up run must report that
// scratch and, with a GOMEMLIMIT from the controller, raise the limit by
// exactly as much; without one, leave the limit alone.
func TestWarmUpRaisesTheControllersLimitByTheScratch(t *testing.T) {
	m := &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: 13}}, Graph: &onnx.Graph{Name: "g",
		Nodes: []*onnx.Node{{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
			Attrs: []onnx.Attribute{{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}}}}},
		Initializers: []*onnx.Initializer{{Name: "w", Tensor: profile.SampleInput(tensor.Float32, []int{8, 4, 3, 3}, 2)}},
		Inputs:       []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{1, 4, 32, 32})},
		Outputs:      []onnx.ValueInfo{{Name: "y"}},
	}}
	stage := func(t *testing.T) slice.Stage {
		prog, err := engine.Compile(m, engine.Options{PackedOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return slice.Stage{Program: prog, Partition: slice.ManifestPartition{
			Inputs: []slice.Value{{Name: "x", DType: tensor.Float32, Shape: []int{1, 4, 32, 32}}}}}
	}
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	t.Setenv("GOMEMLIMIT", "")
	scratch, limit, err := warmUp(context.Background(), stage(t))
	if err != nil {
		t.Fatal(err)
	}
	if min := int64(4 * 9 * 32 * 32 * 4); scratch < min {
		t.Errorf("scratch %d bytes, want at least the im2col matrix's %d", scratch, min)
	}
	if limit != 0 || debug.SetMemoryLimit(-1) != before {
		t.Errorf("without GOMEMLIMIT the limit changed (%d)", limit)
	}

	t.Setenv("GOMEMLIMIT", "64MiB")
	debug.SetMemoryLimit(64 << 20)
	scratch, limit, err = warmUp(context.Background(), stage(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(64<<20) + scratch; limit != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("limit %d (runtime %d), want 64 MiB + %d scratch bytes", limit, debug.SetMemoryLimit(-1), scratch)
	}
}

// TestWarmUpOnInvalidSampleInputs: a partition reading an integer input as
// a shape cannot run on sample values; warmUp reports it and leaves the
// limit as the controller set it.
func TestWarmUpOnInvalidSampleInputs(t *testing.T) {
	m := &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: 13}}, Graph: &onnx.Graph{Name: "g",
		Nodes: []*onnx.Node{{Name: "r", OpType: "Reshape", Inputs: []string{"x", "shape"}, Outputs: []string{"y"}}},
		Inputs: []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{1, 4, 32, 32}),
			onnx.TensorValueInfo("shape", tensor.Int64, []int{2})},
		Outputs: []onnx.ValueInfo{{Name: "y"}},
	}}
	prog, err := engine.Compile(m, engine.Options{PackedOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	stage := slice.Stage{Program: prog, Partition: slice.ManifestPartition{Inputs: []slice.Value{
		{Name: "x", DType: tensor.Float32, Shape: []int{1, 4, 32, 32}}, {Name: "shape", DType: tensor.Int64, Shape: []int{2}}}}}
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "64MiB")
	debug.SetMemoryLimit(64 << 20)
	if _, limit, err := warmUp(context.Background(), stage); err == nil || limit != 0 || debug.SetMemoryLimit(-1) != 64<<20 {
		t.Errorf("warm-up on an invalid shape: err %v, limit %d (runtime %d); want an error and 64 MiB kept", err, limit, debug.SetMemoryLimit(-1))
	}
}
