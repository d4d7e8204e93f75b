package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func node(op string, in, out []string, attrs ...onnx.Attribute) *onnx.Node {
	return &onnx.Node{Name: op + "_" + out[0], OpType: op, Inputs: in, Outputs: out, Attrs: attrs}
}

func graphAttr(name string, g *onnx.Graph) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrGraph, G: g}
}

func model(opset int64, g *onnx.Graph) *onnx.Model {
	return &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: opset}}, Graph: g}
}

func vi(name string, dt tensor.DType, shape ...int) onnx.ValueInfo {
	return onnx.TensorValueInfo(name, dt, shape)
}

func run(t *testing.T, m *onnx.Model, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIf runs both branches; each reads a different outer-scope tensor.
func TestIf(t *testing.T) {
	two := &onnx.Initializer{Name: "two", Tensor: tensor.MustFromSlice([]float32{2}, 1)}
	then := &onnx.Graph{Name: "then",
		Nodes:   []*onnx.Node{node("Add", []string{"y", "y"}, []string{"t"})},
		Outputs: []onnx.ValueInfo{{Name: "t"}}}
	els := &onnx.Graph{Name: "else",
		Nodes:   []*onnx.Node{node("Neg", []string{"x"}, []string{"e"})},
		Outputs: []onnx.ValueInfo{{Name: "e"}}}
	ifNode := node("If", []string{"c"}, []string{"out"}, graphAttr("then_branch", then), graphAttr("else_branch", els))
	g := &onnx.Graph{Name: "if",
		Nodes:        []*onnx.Node{node("Mul", []string{"x", "two"}, []string{"y"}), ifNode},
		Initializers: []*onnx.Initializer{two},
		Inputs:       []onnx.ValueInfo{vi("x", tensor.Float32, 2), vi("c", tensor.Bool, 1)},
		Outputs:      []onnx.ValueInfo{{Name: "out"}}}
	if got := fmt.Sprint(NodeInputs(ifNode)); got != "[c x y]" {
		t.Errorf("NodeInputs(If) = %s, want [c x y]", got)
	}
	x := tensor.MustFromSlice([]float32{1, -3}, 2)
	for _, tc := range []struct {
		cond bool
		want []float32
	}{{true, []float32{4, -12}}, {false, []float32{-1, 3}}} {
		out := run(t, model(13, g), map[string]*tensor.Tensor{"x": x, "c": tensor.MustFromSlice([]bool{tc.cond}, 1)})
		if got := out["out"].Float32s(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("cond %v: out = %v, want %v", tc.cond, got, tc.want)
		}
	}
}

// loopModel sums the iteration numbers into acc and scans i·k, with k an
// outer-scope tensor; with untilAcc3 the body's condition stops the loop
// once acc reaches 3 and the trip count is omitted.
func loopModel(untilAcc3 bool) *onnx.Model {
	three := &onnx.Initializer{Name: "three", Tensor: tensor.MustFromSlice([]int64{3})}
	condOut := node("Identity", []string{"c_in"}, []string{"c_out"})
	if untilAcc3 {
		condOut = node("Less", []string{"acc2", "three"}, []string{"c_out"})
	}
	body := &onnx.Graph{Name: "body",
		Nodes: []*onnx.Node{
			node("Add", []string{"acc", "i"}, []string{"acc2"}),
			node("Mul", []string{"i", "k"}, []string{"scan"}),
			condOut,
		},
		Initializers: []*onnx.Initializer{three},
		Inputs:       []onnx.ValueInfo{vi("i", tensor.Int64), vi("c_in", tensor.Bool), vi("acc", tensor.Int64)},
		// Exporters declare the body outputs' types: a loop of zero
		// iterations takes its scan outputs' type from them.
		Outputs: []onnx.ValueInfo{{Name: "c_out"}, {Name: "acc2"}, {Name: "scan", ElemType: tensor.Int64}}}
	m := "m"
	if untilAcc3 {
		m = ""
	}
	loop := node("Loop", []string{m, "cond", "acc0"}, []string{"acc_final", "scans"}, graphAttr("body", body))
	return model(13, &onnx.Graph{Name: "loop",
		Nodes: []*onnx.Node{loop},
		Initializers: []*onnx.Initializer{
			{Name: "cond", Tensor: tensor.MustFromSlice([]bool{true})},
			{Name: "acc0", Tensor: tensor.MustFromSlice([]int64{0})},
		},
		Inputs:  []onnx.ValueInfo{vi("m", tensor.Int64), vi("k", tensor.Int64)},
		Outputs: []onnx.ValueInfo{{Name: "acc_final"}, {Name: "scans"}}})
}

func TestLoop(t *testing.T) {
	k := tensor.MustFromSlice([]int64{10})
	tests := []struct {
		name      string
		untilAcc3 bool
		m         int64
		acc       int64
		scans     string
	}{
		{"trip count", false, 4, 6, "[0 10 20 30]"},
		{"zero trips", false, 0, 0, "[]"},
		{"condition", true, 100, 3, "[0 10 20]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]*tensor.Tensor{"k": k}
			if !tc.untilAcc3 {
				in["m"] = tensor.MustFromSlice([]int64{tc.m})
			}
			m := loopModel(tc.untilAcc3)
			if tc.untilAcc3 {
				m.Graph.Inputs = m.Graph.Inputs[1:]
			}
			out := run(t, m, in)
			if got := out["acc_final"].Int64s()[0]; got != tc.acc {
				t.Errorf("acc = %d, want %d", got, tc.acc)
			}
			if got := fmt.Sprint(out["scans"].Int64s()); got != tc.scans {
				t.Errorf("scans = %s, want %s", got, tc.scans)
			}
		})
	}
}

// TestScan accumulates the columns of a 2x3 matrix from the last one
// (scan_input_directions 1) and stacks the running sums along axis 1.
func TestScan(t *testing.T) {
	body := &onnx.Graph{Name: "body",
		Nodes: []*onnx.Node{
			node("Add", []string{"s", "col"}, []string{"s2"}),
			node("Identity", []string{"s2"}, []string{"out"}),
		},
		Inputs:  []onnx.ValueInfo{vi("s", tensor.Float32, 2), vi("col", tensor.Float32, 2)},
		Outputs: []onnx.ValueInfo{{Name: "s2"}, {Name: "out"}}}
	ints := func(name string, v ...int64) onnx.Attribute {
		return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
	}
	scan := node("Scan", []string{"s0", "x"}, []string{"final", "sums"}, graphAttr("body", body),
		onnx.Attribute{Name: "num_scan_inputs", Type: onnx.AttrInt, I: 1},
		ints("scan_input_axes", 1), ints("scan_input_directions", 1), ints("scan_output_axes", 1))
	m := model(11, &onnx.Graph{Name: "scan", Nodes: []*onnx.Node{scan},
		Inputs:  []onnx.ValueInfo{vi("s0", tensor.Float32, 2), vi("x", tensor.Float32, 2, 3)},
		Outputs: []onnx.ValueInfo{{Name: "final"}, {Name: "sums"}}})
	out := run(t, m, map[string]*tensor.Tensor{
		"s0": tensor.MustFromSlice([]float32{0, 100}, 2),
		"x":  tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3),
	})
	if got := fmt.Sprint(out["final"].Float32s()); got != "[6 115]" {
		t.Errorf("final = %s, want [6 115]", got)
	}
	// Running sums from the last column: row 0: 3, 5, 6; row 1: 106, 111, 115.
	if got, shape := fmt.Sprint(out["sums"].Float32s()), out["sums"].Shape; got != "[3 5 6 106 111 115]" || fmt.Sprint(shape) != "[2 3]" {
		t.Errorf("sums = %s %v, want [3 5 6 106 111 115] [2 3]", got, shape)
	}
}
