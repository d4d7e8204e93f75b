package profile_test

import (
	"context"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/tensor"
)

// TestObserveFusedStepAcrossUnits profiles y = Relu(x·W + b) with the
// MatMul in unit 0 and the Add and Relu in unit 1: the engine runs the
// three as one fused step, and both units must still get measured times
// (shared by their unfused times) and working bytes, with exactly Repeats
// samples each, however many warm-up runs were needed.
func TestObserveFusedStepAcrossUnits(t *testing.T) {
	w := profile.SampleInput(tensor.Float32, []int{64, 64}, 7)
	b := profile.SampleInput(tensor.Float32, []int{64}, 8)
	m := &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: 13}}, Graph: &onnx.Graph{Name: "g",
		Nodes: []*onnx.Node{
			{Name: "mm", OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m"}},
			{Name: "add", OpType: "Add", Inputs: []string{"m", "b"}, Outputs: []string{"a"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"y"}},
		},
		Initializers: []*onnx.Initializer{{Name: "w", Tensor: w}, {Name: "b", Tensor: b}},
		Inputs:       []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{32, 64})},
		Outputs:      []onnx.ValueInfo{{Name: "y"}},
	}}
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if prog.NumSteps() != 1 {
		t.Fatalf("the program runs %d steps, want 1 (MatMul, Add and Relu fused)", prog.NumSteps())
	}
	unit := map[string]int{"mm": 0, "add": 1, "relu": 1}
	attr := profile.Attribution{Units: 2, UnitOf: func(n *onnx.Node) (int, bool) { u, ok := unit[n.Name]; return u, ok },
		IsConstant: func(name string) bool { return name == "w" || name == "b" }}
	feeds := map[string]*tensor.Tensor{"x": profile.SampleInput(tensor.Float32, []int{32, 64}, 1)}
	const repeats = 4
	runs, err := profile.Observe(context.Background(), prog, feeds, attr, profile.Options{Warmup: 1, Repeats: repeats})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs.Totals) != repeats {
		t.Errorf("%d measured runs, want %d", len(runs.Totals), repeats)
	}
	for u := range 2 {
		if len(runs.Seconds[u]) != repeats {
			t.Errorf("unit %d: %d samples, want %d", u, len(runs.Seconds[u]), repeats)
		}
		for _, s := range runs.Seconds[u] {
			if s <= 0 {
				t.Errorf("unit %d: a sample of %v s", u, s)
			}
		}
		if runs.Peak[u] <= 0 {
			t.Errorf("unit %d: no working bytes", u)
		}
	}
	// Unit 0's MatMul reads x and writes m: 2 × 32×64 floats.
	if want := int64(2 * 32 * 64 * 4); runs.Peak[0] != want {
		t.Errorf("unit 0 working bytes %d, want %d", runs.Peak[0], want)
	}
	if y := runs.Outputs["y"]; y == nil || !tensor.SameShape(y.Shape, []int{32, 64}) {
		t.Errorf("outputs %v: want y [32 64]", runs.Outputs)
	}
}
