package engine_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
)

func model(nodes []*onnx.Node, inits []*onnx.Initializer, in []onnx.ValueInfo, out ...string) *onnx.Model {
	g := &onnx.Graph{Name: "g", Nodes: nodes, Initializers: inits, Inputs: in}
	for _, o := range out {
		g.Outputs = append(g.Outputs, onnx.ValueInfo{Name: o})
	}
	return &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: 13}}, Graph: g}
}

func node(op string, in []string, out ...string) *onnx.Node {
	return &onnx.Node{Name: op + "_" + out[0], OpType: op, Inputs: in, Outputs: out}
}

var x23 = onnx.TensorValueInfo("x", tensor.Float32, []int{2, 3})

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		m    *onnx.Model
		want string
	}{
		{"undefined input", model([]*onnx.Node{node("Relu", []string{"nope"}, "y")}, nil, []onnx.ValueInfo{x23}, "y"),
			`reads "nope", which no node, initializer or graph input defines`},
		{"cycle", model([]*onnx.Node{node("Add", []string{"x", "b"}, "a"), node("Relu", []string{"a"}, "b")}, nil,
			[]onnx.ValueInfo{x23}, "b"), "cycle"},
		{"produced twice", model([]*onnx.Node{node("Relu", []string{"x"}, "y"), node("Neg", []string{"x"}, "y")}, nil,
			[]onnx.ValueInfo{x23}, "y"), `"y" is produced by both`},
		{"unsupported operator", model([]*onnx.Node{node("FancyOp", []string{"x"}, "y")}, nil, []onnx.ValueInfo{x23}, "y"),
			"operator FancyOp (opset 13): unsupported operator"},
		{"missing output", model([]*onnx.Node{node("Relu", []string{"x"}, "y")}, nil, []onnx.ValueInfo{x23}, "z"),
			`graph output "z" is produced by no node`},
		{"no opset", &onnx.Model{Graph: &onnx.Graph{}}, "imports no opset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Compile(tc.m, engine.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compile error = %v, want it to contain %q", err, tc.want)
			}
			if tc.name == "unsupported operator" && !errors.Is(err, ops.ErrUnsupported) {
				t.Errorf("error does not wrap ops.ErrUnsupported: %v", err)
			}
		})
	}
}

// TestTopologicalOrderAndFolding runs a graph whose nodes are listed out of
// order and whose Constant and Identity-of-initializer nodes fold away.
func TestTopologicalOrderAndFolding(t *testing.T) {
	two := tensor.MustFromSlice([]float32{2}, 1)
	m := model([]*onnx.Node{
		node("Mul", []string{"r", "c2"}, "y"),
		{Name: "c", OpType: "Constant", Outputs: []string{"c"}, Attrs: []onnx.Attribute{{Name: "value", Type: onnx.AttrTensor, T: two}}},
		node("Identity", []string{"c"}, "c2"),
		node("Relu", []string{"x"}, "r"),
	}, nil, []onnx.ValueInfo{x23}, "y")
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.NumSteps() != 2 {
		t.Errorf("program runs %d nodes, want 2 (Constant and Identity folded)", p.NumSteps())
	}
	out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{-1, 0, 1, 2, -3, 4}, 2, 3)})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 2, 4, 0, 8}
	got := out["y"].Float32s()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("y = %v, want %v", got, want)
		}
	}
	folded := p.FoldedModel(m)
	if len(folded.Graph.Nodes) != 2 || len(folded.Graph.Initializers) != 1 {
		t.Errorf("folded model has %d nodes and %d initializers, want 2 and 1", len(folded.Graph.Nodes), len(folded.Graph.Initializers))
	}
}

func TestRunInputErrors(t *testing.T) {
	p, err := engine.Compile(model([]*onnx.Node{node("Relu", []string{"x"}, "y")}, nil, []onnx.ValueInfo{x23}, "y"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		inputs map[string]*tensor.Tensor
		want   string
	}{
		{"missing", map[string]*tensor.Tensor{}, `missing input "x" (float32[2 3])`},
		{"wrong shape", map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 3, 2)}, `input "x" has shape [3 2], the model expects float32[2 3]`},
		{"wrong dtype", map[string]*tensor.Tensor{"x": tensor.New(tensor.Float64, 2, 3)}, `input "x" has dtype float64, the model expects float32`},
		{"unknown", map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 2, 3), "q": tensor.New(tensor.Float32, 1)}, `unknown input "q"`},
		{"inconsistent tensor", map[string]*tensor.Tensor{"x": {DType: tensor.Float32, Shape: []int{2, 3}, Data: []float32{1}}}, "needs 6 elements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Run(context.Background(), tc.inputs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx, map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 2, 3)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

// TestConcurrentRunsAreIdentical runs one compiled ResNet18 from several
// goroutines: every result must equal the first bit for bit, and the input
// must be left untouched.
func TestConcurrentRunsAreIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet18 runs take seconds")
	}
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := profile.SampleInput(tensor.Float32, []int{1, 3, 224, 224}, 1)
	xBefore, _ := x.Clone().RawBytes()
	ref, err := p.Run(context.Background(), map[string]*tensor.Tensor{"input": x})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref["output"].RawBytes()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"input": x})
			if err != nil {
				errs <- err
				return
			}
			if got, _ := out["output"].RawBytes(); !bytes.Equal(got, want) {
				errs <- errors.New("a concurrent run gave different bits")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if after, _ := x.RawBytes(); !bytes.Equal(after, xBefore) {
		t.Error("Run modified its input")
	}
}
