package engine_test

import (
	"context"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// TestReuseKeepsSharedMemory runs graphs in which element-wise steps may
// write their output into an input they read last, next to tensors that
// share that memory (Reshape, Identity and Flatten outputs, graph inputs,
// constants), and checks that Run gives the bits of RunObserved (which
// reuses nothing) and leaves the caller's inputs unchanged.
func TestReuseKeepsSharedMemory(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	c := &onnx.Initializer{Name: "c", Tensor: randTensor(r, 4, 6)}
	two := &onnx.Initializer{Name: "two", Tensor: tensor.MustFromSlice([]float32{2})}
	shape := &onnx.Initializer{Name: "shape", Tensor: tensor.MustFromSlice([]int64{6, 4}, 2)}
	inits := []*onnx.Initializer{c, two, shape}
	x := []onnx.ValueInfo{{Name: "x"}}
	tests := []struct {
		name  string
		nodes []*onnx.Node
		// reused names the element-wise nodes that write into an input's
		// memory (checked in RunTimed, which reuses as Run does): exactly
		// these, so that a reuse that never happens fails as well.
		reused []string
	}{
		{"chain", []*onnx.Node{node("Add", []string{"x", "c"}, "a"), node("Mul", []string{"a", "two"}, "b"),
			node("Sub", []string{"b", "c"}, "y")}, []string{"b", "y"}},
		{"reshape of a dead operand read later", []*onnx.Node{node("Add", []string{"x", "c"}, "a"),
			node("Reshape", []string{"a", "shape"}, "ra"), node("Mul", []string{"a", "two"}, "b"),
			node("Reshape", []string{"ra", "shape"}, "rb"), node("Flatten", []string{"b"}, "fb"),
			node("Reshape", []string{"fb", "shape"}, "fb2"), node("Add", []string{"rb", "fb2"}, "y")}, nil},
		{"identity of the input", []*onnx.Node{node("Identity", []string{"x"}, "i"), node("Mul", []string{"i", "two"}, "y")}, nil},
		{"identity of a constant", []*onnx.Node{node("Identity", []string{"x"}, "i"), node("Add", []string{"i", "c"}, "a"),
			node("Reshape", []string{"c", "s"}, "cr"), node("Reshape", []string{"cr", "shape"}, "cr2"),
			node("Reshape", []string{"a", "shape"}, "ar"), node("Add", []string{"cr2", "ar"}, "y")}, nil},
		{"same operand twice", []*onnx.Node{node("Add", []string{"x", "c"}, "a"), node("Mul", []string{"a", "a"}, "y")}, []string{"y"}},
		{"broadcast operand", []*onnx.Node{node("Add", []string{"x", "c"}, "a"), node("ReduceSum", []string{"a"}, "s1"),
			node("Mul", []string{"s1", "a"}, "y")}, []string{"y"}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []onnx.ValueInfo{x[0], {Name: "s"}}
			p, err := engine.Compile(model(tc.nodes, inits, in, "y"), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			feeds := map[string]*tensor.Tensor{"x": randTensor(r, 4, 6), "s": tensor.MustFromSlice([]int64{24}, 1)}
			if len(p.Inputs()) == 1 {
				delete(feeds, "s")
			}
			keep := feeds["x"].Clone()
			keepC := c.Tensor.Clone()
			got, err := p.Run(ctx, feeds)
			if err != nil {
				t.Fatal(err)
			}
			want, err := p.RunObserved(ctx, feeds, func(engine.Observation) {})
			if err != nil {
				t.Fatal(err)
			}
			var reused []string
			if _, err := p.RunTimed(ctx, feeds, func(o engine.Observation) {
				if !slices.Contains([]string{"Add", "Sub", "Mul", "Div"}, o.Node.OpType) {
					return // aliases (Reshape, Identity) share memory by design
				}
				for _, in := range o.Inputs {
					if in != nil && len(o.Outputs) > 0 && in.DType == tensor.Float32 && len(in.Float32s()) > 0 &&
						&in.Float32s()[0] == &o.Outputs[0].Float32s()[0] {
						reused = append(reused, o.Node.Outputs[0])
						break
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(reused, tc.reused) {
				t.Errorf("nodes writing into an input's memory: %v, want %v", reused, tc.reused)
			}
			g, w := got["y"].Float32s(), want["y"].Float32s()
			for i := range w {
				if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
					t.Fatalf("y[%d] = %v with reuse, %v without", i, g[i], w[i])
				}
			}
			for name, pair := range map[string][2]*tensor.Tensor{"input x": {feeds["x"], keep}, "constant c": {c.Tensor, keepC}} {
				for i, v := range pair[1].Float32s() {
					if pair[0].Float32s()[i] != v {
						t.Fatalf("%s changed at %d: %v, was %v", name, i, pair[0].Float32s()[i], v)
					}
				}
			}
		})
	}
}
