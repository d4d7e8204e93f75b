package engine

import (
	"context"
	"math"
	"math/rand"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// TestPackedOnly checks that Options.PackedOnly drops the data of the
// weights that Conv, Gemm and MatMul keep packed, keeps the others (a
// depthwise Conv's, biases, a weight that another node reads), and gives the
// same bits as a program that keeps them.
func TestPackedOnly(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	init := func(name string, shape ...int) *onnx.Initializer {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64())
		}
		return &onnx.Initializer{Name: name, Tensor: x}
	}
	pads := onnx.Attribute{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}}
	group := onnx.Attribute{Name: "group", Type: onnx.AttrInt, I: 8}
	g := &onnx.Graph{
		Name: "g",
		Nodes: []*onnx.Node{
			node("Conv", []string{"x", "w", "b"}, []string{"c"}, pads),
			node("Relu", []string{"c"}, []string{"r"}),
			node("Conv", []string{"r", "wd"}, []string{"d"}, pads, group),
			node("GlobalAveragePool", []string{"d"}, []string{"p"}),
			node("Flatten", []string{"p"}, []string{"f"}),
			node("Gemm", []string{"f", "fc", "fb"}, []string{"h"}),
			node("MatMul", []string{"h", "mm"}, []string{"y"}),
			node("Mul", []string{"h", "shared"}, []string{"z"}),
			node("MatMul", []string{"z", "shared"}, []string{"y2"}),
		},
		Initializers: []*onnx.Initializer{init("w", 8, 4, 3, 3), init("b", 8), init("wd", 8, 1, 3, 3),
			init("fc", 8, 5), init("fb", 5), init("mm", 5, 3), init("shared", 5, 5)},
		Inputs:  []onnx.ValueInfo{vi("x", tensor.Float32, 1, 4, 9, 9)},
		Outputs: []onnx.ValueInfo{{Name: "y"}, {Name: "y2"}},
	}
	m := model(13, g)
	full, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	packed, err := Compile(m, Options{PackedOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, dropped := range map[string]bool{"w": true, "fc": true, "mm": true, "b": false, "wd": false, "fb": false, "shared": false} {
		c := packed.constants[packed.slotOf[name]]
		if got := c.Float32s() == nil; got != dropped {
			t.Errorf("%s: data dropped = %v, want %v", name, got, dropped)
		}
		if !tensor.SameShape(c.Shape, full.constants[full.slotOf[name]].Shape) {
			t.Errorf("%s: shape %v changed", name, c.Shape)
		}
	}
	if packed.FoldedModel(m) != nil {
		t.Error("FoldedModel of a PackedOnly program is not nil")
	}
	in := map[string]*tensor.Tensor{"x": init("x", 1, 4, 9, 9).Tensor}
	ctx := context.Background()
	want, err := full.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		got, err := packed.Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for name, w := range want {
			for i, v := range w.Float32s() {
				if math.Float32bits(got[name].Float32s()[i]) != math.Float32bits(v) {
					t.Fatalf("run %d: %s[%d] = %v, want %v", run, name, i, got[name].Float32s()[i], v)
				}
			}
		}
	}
}
