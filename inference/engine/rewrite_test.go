package engine_test

import (
	"context"
	"math"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// TestPowTwoRewrite checks that Pow with a constant exponent 2 (run as x·x)
// gives the bits of the Pow operator (fed the same exponent at run time, so
// not rewritten), for float32, float64 and integer x.
func TestPowTwoRewrite(t *testing.T) {
	f32 := []float32{0, -0, 1, -1.5, 3.4e38, -3.4e38, 1e-30, 1e-45, 1.0000001, -7.25e19, float32(math.Inf(-1)), float32(math.NaN())}
	f64 := []float64{0, -2.5, 1e300, 1.0000000000000002, -1e-200, math.Inf(1), 3}
	tests := []struct {
		name string
		x, e *tensor.Tensor
	}{
		{"float32", tensor.MustFromSlice(f32, 3, 4), tensor.MustFromSlice([]float32{2})},
		{"float64", tensor.MustFromSlice(f64, 7), tensor.MustFromSlice([]float64{2}, 1)},
		{"int32", tensor.MustFromSlice([]int32{-3, 46341, 7}, 3), tensor.MustFromSlice([]float32{2})},
		{"scalar x, exponent [1]", tensor.MustFromSlice([]float32{-1.25}), tensor.MustFromSlice([]float32{2}, 1)},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pow := []*onnx.Node{node("Pow", []string{"x", "e"}, "y")}
			constant := model(pow, []*onnx.Initializer{{Name: "e", Tensor: tc.e}}, []onnx.ValueInfo{{Name: "x"}}, "y")
			runtime := model(pow, nil, []onnx.ValueInfo{{Name: "x"}, {Name: "e"}}, "y")
			pc, err := engine.Compile(constant, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pr, err := engine.Compile(runtime, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := pc.Run(ctx, map[string]*tensor.Tensor{"x": tc.x})
			if err != nil {
				t.Fatal(err)
			}
			want, err := pr.Run(ctx, map[string]*tensor.Tensor{"x": tc.x, "e": tc.e})
			if err != nil {
				t.Fatal(err)
			}
			g, w := got["y"], want["y"]
			if !tensor.SameShape(g.Shape, w.Shape) || g.DType != w.DType {
				t.Fatalf("got %s%v, want %s%v", g.DType, g.Shape, w.DType, w.Shape)
			}
			gb, err := g.RawBytes()
			if err != nil {
				t.Fatal(err)
			}
			wb, err := w.RawBytes()
			if err != nil {
				t.Fatal(err)
			}
			if string(gb) != string(wb) {
				t.Errorf("x·x = %v, Pow gives %v", g.Data, w.Data)
			}
		})
	}
}
