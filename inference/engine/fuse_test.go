package engine_test

import (
	"context"
	"math"
	"math/rand"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(r.NormFloat64())
	}
	return t
}

// TestFusedEpiloguesBitwise runs graphs whose Add and Relu/Clip nodes fuse
// into the Conv, Gemm or MatMul before them, and checks that the fused
// program gives exactly the bits of the unfused one, that the fused nodes
// ran as one step, and that observers still see every node.
func TestFusedEpiloguesBitwise(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	init := func(name string, shape ...int) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: randTensor(r, shape...)}
	}
	w, w2, wd, b := init("w", 8, 4, 3, 3), init("w2", 8, 4, 3, 3), init("wd", 4, 1, 3, 3), init("b", 8)
	fc, row := init("fc", 20, 24), init("row", 24)
	lo := &onnx.Initializer{Name: "lo", Tensor: tensor.MustFromSlice([]float32{0}, 1)}
	hi := &onnx.Initializer{Name: "hi", Tensor: tensor.MustFromSlice([]float32{0.5}, 1)}
	img := onnx.TensorValueInfo("x", tensor.Float32, []int{2, 4, 9, 9})
	pads := onnx.Attribute{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}}
	conv := func(in, weights, out string) *onnx.Node {
		return &onnx.Node{Name: "conv_" + out, OpType: "Conv", Inputs: []string{in, weights, "b"}, Outputs: []string{out},
			Attrs: []onnx.Attribute{pads}}
	}
	depthwise := &onnx.Node{Name: "dw", OpType: "Conv", Inputs: []string{"x", "wd"}, Outputs: []string{"c"},
		Attrs: []onnx.Attribute{{Name: "group", Type: onnx.AttrInt, I: 4}, pads}}
	tests := []fusedCase{
		{"conv relu", model([]*onnx.Node{conv("x", "w", "c"), node("Relu", []string{"c"}, "y")},
			[]*onnx.Initializer{w, b}, []onnx.ValueInfo{img}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 1},
		{"conv residual relu", model([]*onnx.Node{conv("x", "w", "c1"), conv("x", "w2", "c2"),
			node("Add", []string{"c2", "c1"}, "a"), node("Relu", []string{"a"}, "y")},
			[]*onnx.Initializer{w, w2, b}, []onnx.ValueInfo{img}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 2},
		{"conv broadcast residual falls back", model([]*onnx.Node{conv("x", "w", "c"), node("Add", []string{"c", "s"}, "y")},
			[]*onnx.Initializer{w, b}, []onnx.ValueInfo{img, {Name: "s"}}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9), "s": randTensor(r, 1, 8, 1, 1)}, 1},
		{"depthwise clip", model([]*onnx.Node{depthwise, node("Clip", []string{"c", "lo", "hi"}, "y")},
			[]*onnx.Initializer{wd, lo, hi}, []onnx.ValueInfo{img}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 1},
		{"matmul bias relu", model([]*onnx.Node{node("MatMul", []string{"x", "fc"}, "m"), node("Add", []string{"row", "m"}, "a"),
			node("Relu", []string{"a"}, "y")}, []*onnx.Initializer{fc, row}, []onnx.ValueInfo{{Name: "x"}}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 3, 20)}, 1},
		{"matmul vector bias", model([]*onnx.Node{node("MatMul", []string{"x", "fc"}, "m"), node("Add", []string{"m", "row"}, "y")},
			[]*onnx.Initializer{fc, row}, []onnx.ValueInfo{{Name: "x"}}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 20)}, 1},
		{"gemm residual", model([]*onnx.Node{node("Gemm", []string{"x", "fc", "row"}, "g"), node("Add", []string{"g", "s"}, "y")},
			[]*onnx.Initializer{fc, row}, []onnx.ValueInfo{{Name: "x"}, {Name: "s"}}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 7, 20), "s": randTensor(r, 7, 24)}, 1},
		{"conv silu", model([]*onnx.Node{conv("x", "w", "c"), node("Sigmoid", []string{"c"}, "s"), node("Mul", []string{"c", "s"}, "y")},
			[]*onnx.Initializer{w, b}, []onnx.ValueInfo{img}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 1},
		{"depthwise silu", model([]*onnx.Node{depthwise, node("Sigmoid", []string{"c"}, "s"), node("Mul", []string{"s", "c"}, "y")},
			[]*onnx.Initializer{wd}, []onnx.ValueInfo{img}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 1},
		{"gemm residual silu", model([]*onnx.Node{node("Gemm", []string{"x", "fc", "row"}, "g"), node("Add", []string{"g", "s"}, "a"),
			node("Sigmoid", []string{"a"}, "sg"), node("Mul", []string{"sg", "a"}, "y")},
			[]*onnx.Initializer{fc, row}, []onnx.ValueInfo{{Name: "x"}, {Name: "s"}}, "y"),
			map[string]*tensor.Tensor{"x": randTensor(r, 7, 20), "s": randTensor(r, 7, 24)}, 1},
		{"sigmoid read elsewhere is not fused", model([]*onnx.Node{conv("x", "w", "c"), node("Sigmoid", []string{"c"}, "s"), node("Mul", []string{"c", "s"}, "y")},
			[]*onnx.Initializer{w, b}, []onnx.ValueInfo{img}, "y", "s"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 3},
		{"shared output is not fused", model([]*onnx.Node{conv("x", "w", "c"), node("Relu", []string{"c"}, "y")},
			[]*onnx.Initializer{w, b}, []onnx.ValueInfo{img}, "y", "c"),
			map[string]*tensor.Tensor{"x": randTensor(r, 2, 4, 9, 9)}, 2},
	}
	checkFused(t, tests)
}

// fusedCase is a graph whose fused program runs steps steps.
type fusedCase struct {
	name   string
	m      *onnx.Model
	inputs map[string]*tensor.Tensor
	steps  int // executed steps when fused
}

// checkFused checks, for every case, that the fused program gives exactly
// the bits of the unfused one, that it runs the expected number of steps,
// and that observers still see every node (RunObserved node by node,
// RunTimed every node once), and that FoldedModel keeps every node.
func checkFused(t *testing.T, tests []fusedCase) {
	t.Helper()
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fused, err := engine.Compile(tc.m, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			plain, err := engine.Compile(tc.m, engine.Options{Unfused: true})
			if err != nil {
				t.Fatal(err)
			}
			if fused.NumSteps() != tc.steps {
				t.Errorf("fused program runs %d steps, want %d", fused.NumSteps(), tc.steps)
			}
			seen := map[string]bool{}
			got, err := fused.RunObserved(ctx, tc.inputs, func(o engine.Observation) { seen[o.Node.Name] = true })
			if err != nil {
				t.Fatal(err)
			}
			want, err := plain.Run(ctx, tc.inputs)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.m.Graph.Nodes {
				if !seen[n.Name] {
					t.Errorf("observer did not see node %s", n.Name)
				}
			}
			// RunTimed observes the steps as they run: one observation a
			// step, a fused one naming all its nodes, every node once.
			steps, did := 0, map[string]int{}
			timed, err := fused.RunTimed(ctx, tc.inputs, func(o engine.Observation) {
				steps++
				nodes := o.Fused
				if nodes == nil {
					nodes = []*onnx.Node{o.Node}
				} else if nodes[0] != o.Node {
					t.Errorf("fused step of %s lists %s first", o.Node.Name, nodes[0].Name)
				}
				for _, n := range nodes {
					did[n.Name]++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if steps != tc.steps {
				t.Errorf("RunTimed observed %d steps, want %d", steps, tc.steps)
			}
			for _, n := range tc.m.Graph.Nodes {
				if did[n.Name] != 1 {
					t.Errorf("RunTimed: node %s done by %d observed steps, want 1", n.Name, did[n.Name])
				}
			}
			// RunObserved runs fused steps node by node; RunTimed runs them
			// as Run does.
			for how, outs := range map[string]map[string]*tensor.Tensor{"RunObserved": got, "RunTimed": timed} {
				for name, wt := range want {
					g, w := outs[name].Float32s(), wt.Float32s()
					if !tensor.SameShape(outs[name].Shape, wt.Shape) {
						t.Fatalf("%s %s: shape %v, want %v", how, name, outs[name].Shape, wt.Shape)
					}
					for i := range w {
						if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
							t.Fatalf("%s %s[%d] = %v fused, %v unfused", how, name, i, g[i], w[i])
						}
					}
				}
			}
			if folded := fused.FoldedModel(tc.m); len(folded.Graph.Nodes) != len(tc.m.Graph.Nodes) {
				t.Errorf("folded model has %d nodes, want %d", len(folded.Graph.Nodes), len(tc.m.Graph.Nodes))
			}
		})
	}
}

// TestFusedFloat16FallsBack runs a float16 Conv and Relu: the fused kernel
// serves float32 runs only, so the engine runs the nodes one by one, which
// round to float16 between them, and the bits equal the unfused program's.
func TestFusedFloat16FallsBack(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	half := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float16, shape...)
		for i := range x.Data.([]uint16) {
			x.Data.([]uint16)[i] = tensor.HalfFromFloat64(r.NormFloat64())
		}
		return x
	}
	m := model([]*onnx.Node{
		{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
		node("Relu", []string{"c"}, "y"),
	}, []*onnx.Initializer{{Name: "w", Tensor: half(4, 3, 3, 3)}}, []onnx.ValueInfo{{Name: "x"}}, "y")
	in := map[string]*tensor.Tensor{"x": half(1, 3, 8, 8)}
	ctx := context.Background()
	outs := make([][]uint16, 2)
	for i, opts := range []engine.Options{{}, {Unfused: true}} {
		p, err := engine.Compile(m, opts)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + i; p.NumSteps() != want {
			t.Fatalf("program runs %d steps, want %d", p.NumSteps(), want)
		}
		got, err := p.Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got["y"].DType != tensor.Float16 {
			t.Fatalf("output is %s, want float16", got["y"].DType)
		}
		outs[i] = got["y"].Data.([]uint16)
	}
	for i := range outs[0] {
		if outs[0][i] != outs[1][i] {
			t.Fatalf("element %d: %#x fused, %#x unfused", i, outs[0][i], outs[1][i])
		}
	}
}
