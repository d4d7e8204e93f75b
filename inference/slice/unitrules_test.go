package slice_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
)

// lstmModel is a small keyword spotter laid out as torch exports one:
// features (seq 6, batch 1, 4) -> MatMul (projection) -> LSTM (hidden 3,
// bidirectional) -> Reshape of Y_h to (1, 6) -> Gemm -> Softmax.
func lstmModel() *onnx.Model {
	w := func(name string, seed uint64, shape ...int) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: profile.SampleInput(tensor.Float32, shape, seed)}
	}
	const hid = 3
	return &onnx.Model{
		IRVersion:    7,
		OpsetImports: []onnx.OpsetID{{Version: 14}},
		Graph: &onnx.Graph{
			Name: "kws",
			Nodes: []*onnx.Node{
				{Name: "/proj/MatMul", OpType: "MatMul", Inputs: []string{"x", "proj.weight"}, Outputs: []string{"p"}},
				{Name: "/lstm/LSTM", OpType: "LSTM", Inputs: []string{"p", "lstm.W", "lstm.R", "lstm.B"},
					Outputs: []string{"y", "y_h", "y_c"},
					Attrs: []onnx.Attribute{{Name: "hidden_size", Type: onnx.AttrInt, I: hid},
						{Name: "direction", Type: onnx.AttrString, S: []byte("bidirectional")}}},
				{Name: "/lstm/Reshape", OpType: "Reshape", Inputs: []string{"y_h", "flat_shape"}, Outputs: []string{"h"}},
				{Name: "/fc/Gemm", OpType: "Gemm", Inputs: []string{"h", "fc.weight", "fc.bias"}, Outputs: []string{"logits"},
					Attrs: []onnx.Attribute{{Name: "transB", Type: onnx.AttrInt, I: 1}}},
				{Name: "/Softmax", OpType: "Softmax", Inputs: []string{"logits"}, Outputs: []string{"out"}},
			},
			Initializers: []*onnx.Initializer{
				w("proj.weight", 1, 4, 5),
				w("lstm.W", 2, 2, 4*hid, 5), w("lstm.R", 3, 2, 4*hid, hid), w("lstm.B", 4, 2, 8*hid),
				{Name: "flat_shape", Tensor: tensor.MustFromSlice([]int64{1, 2 * hid}, 2)},
				w("fc.weight", 5, 2, 2*hid), w("fc.bias", 6, 2),
			},
			Inputs:  []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{6, 1, 4})},
			Outputs: []onnx.ValueInfo{{Name: "out", ElemType: tensor.Float32}},
		},
	}
}

// TestRecurrentNodeIsOneUnit checks that an LSTM node is a unit of its own
// (with the light Reshape that reads only its output), and that cutting
// before and after it chains bit for bit.
func TestRecurrentNodeIsOneUnit(t *testing.T) {
	ctx := context.Background()
	m := lstmModel()
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[MatMul]", "[LSTM Reshape]", "[Gemm Softmax]"}
	if len(a.Units) != len(want) {
		t.Fatalf("got %d units, want %d", len(a.Units), len(want))
	}
	for i, w := range want {
		if got := fmt.Sprint(a.Units[i].OpTypes()); got != w {
			t.Errorf("unit %d is %s, want %s", i, got, w)
		}
	}
	if a.Units[1].Name != "lstm" {
		t.Errorf("LSTM unit is named %q, want lstm", a.Units[1].Name)
	}
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := profile.SampleInput(tensor.Float32, []int{6, 1, 4}, 9)
	full, err := prog.Run(ctx, map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	for _, cuts := range [][]int{{0}, {1}, {0, 1}} {
		checkChain(t, a, cuts, x, full)
	}
}

// ifModel computes r = Relu(x), s = ReduceSum(r), c = s > 0 and an If whose
// branches read r and x from the outer scope; a final Add reads the If's
// output and r.
func ifModel() *onnx.Model {
	branch := func(name, op, in string) *onnx.Graph {
		return &onnx.Graph{Name: name,
			Nodes:   []*onnx.Node{{Name: name + "_op", OpType: op, Inputs: []string{in}, Outputs: []string{name + "_out"}}},
			Outputs: []onnx.ValueInfo{{Name: name + "_out", ElemType: tensor.Float32}}}
	}
	return &onnx.Model{
		IRVersion:    8,
		OpsetImports: []onnx.OpsetID{{Version: 13}},
		Graph: &onnx.Graph{
			Name: "cond",
			Nodes: []*onnx.Node{
				{Name: "/relu/Relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
				{Name: "/sum/ReduceSum", OpType: "ReduceSum", Inputs: []string{"r"}, Outputs: []string{"s"},
					Attrs: []onnx.Attribute{{Name: "keepdims", Type: onnx.AttrInt, I: 0}}},
				{Name: "/gt/Greater", OpType: "Greater", Inputs: []string{"s", "zero"}, Outputs: []string{"c"}},
				{Name: "/branch/If", OpType: "If", Inputs: []string{"c"}, Outputs: []string{"b"},
					Attrs: []onnx.Attribute{
						{Name: "then_branch", Type: onnx.AttrGraph, G: branch("then", "Sigmoid", "r")},
						{Name: "else_branch", Type: onnx.AttrGraph, G: branch("else", "Neg", "x")},
					}},
				{Name: "/out/Add", OpType: "Add", Inputs: []string{"b", "r"}, Outputs: []string{"y"}},
			},
			Initializers: []*onnx.Initializer{{Name: "zero", Tensor: tensor.MustFromSlice([]float32{0})}},
			Inputs:       []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{2, 3})},
			Outputs:      []onnx.ValueInfo{{Name: "y", ElemType: tensor.Float32}},
		},
	}
}

// TestControlFlowNodeIsOneUnit checks that an If is a unit of its own, that
// the outer-scope tensors its branches read cross the cut before it, and
// that every cut chains bit for bit.
func TestControlFlowNodeIsOneUnit(t *testing.T) {
	ctx := context.Background()
	m := ifModel()
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ifUnit := -1
	for i, u := range a.Units {
		if fmt.Sprint(u.OpTypes()) == "[If]" {
			ifUnit = i
		}
	}
	if ifUnit < 1 {
		t.Fatalf("no unit of its own holds the If: units %v", a.Units)
	}
	cut := a.CutAfter(ifUnit - 1)
	crossing := map[string]bool{}
	for _, v := range cut.Tensors {
		crossing[v.Name] = true
	}
	for _, name := range []string{"c", "r", "x"} {
		if !crossing[name] {
			t.Errorf("tensor %q, read by the If, does not cross the cut before it (crossing: %v)", name, cut.Tensors)
		}
	}
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2} {
		x := profile.SampleInput(tensor.Float32, []int{2, 3}, seed)
		if seed == 2 { // all negative: the else branch
			for i, v := range x.Float32s() {
				x.Float32s()[i] = -v*v - 1
			}
		}
		full, err := prog.Run(ctx, map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c < len(a.Units)-1; c++ {
			checkChain(t, a, []int{c}, x, full)
		}
	}
}

// TestSequenceZooChainBitwise slices the zoo's LSTM keyword spotter and
// transformer encoder and checks that the chained partitions give the
// monolithic output bit for bit.
func TestSequenceZooChainBitwise(t *testing.T) {
	for _, arch := range []string{"lstm_kws", "transformer_encoder"} {
		t.Run(arch, func(t *testing.T) {
			ctx := context.Background()
			m, err := zoo.Generate(arch, zoo.Options{Seed: 7, Opset: 17})
			if err != nil {
				t.Fatal(err)
			}
			prog, err := engine.Compile(m, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := prog.Inputs()[0]
			shape, _ := in.FixedShape()
			x := profile.SampleInput(in.ElemType, shape, 3)
			want, err := prog.Run(ctx, map[string]*tensor.Tensor{in.Name: x})
			if err != nil {
				t.Fatal(err)
			}
			a, err := slice.Analyze(ctx, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range a.Units {
				for _, op := range u.OpTypes() {
					if op == "LSTM" && u.OpTypes()[0] != "LSTM" {
						t.Errorf("unit %s %v: the LSTM does not start its unit", u.Name, u.OpTypes())
					}
				}
			}
			for _, n := range []int{2, 3, 5} {
				cuts, err := a.EvenCuts(min(n, len(a.Units)))
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, a, cuts, x, want)
			}
		})
	}
}
