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
