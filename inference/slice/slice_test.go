package slice_test

import (
	"bytes"
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

// residualModel is x -> conv_a -> relu_a -> conv_b -> add(relu_a, conv_b)
// -> relu_out, with constant-folding bait: an Identity of an initializer
// and a Constant feeding a Mul.
func residualModel() *onnx.Model {
	w := func(name string, seed uint64) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: profile.SampleInput(tensor.Float32, []int{4, 4, 3, 3}, seed)}
	}
	conv := func(name, in, weight, out string) *onnx.Node {
		return &onnx.Node{Name: name, OpType: "Conv", Inputs: []string{in, weight}, Outputs: []string{out},
			Attrs: []onnx.Attribute{{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}},
				{Name: "kernel_shape", Type: onnx.AttrInts, Ints: []int64{3, 3}}}}
	}
	scale := tensor.MustFromSlice([]float32{0.5}, 1)
	return &onnx.Model{
		IRVersion:    8,
		OpsetImports: []onnx.OpsetID{{Version: 13}},
		Graph: &onnx.Graph{
			Name: "residual",
			Nodes: []*onnx.Node{
				{Name: "wb_alias", OpType: "Identity", Inputs: []string{"wb"}, Outputs: []string{"wb_id"}},
				{Name: "half", OpType: "Constant", Outputs: []string{"half_out"},
					Attrs: []onnx.Attribute{{Name: "value", Type: onnx.AttrTensor, T: scale}}},
				conv("/a/Conv", "x", "wa", "a"),
				{Name: "/a/Relu", OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"ra"}},
				conv("/b/Conv", "ra", "wb_id", "b"),
				{Name: "/b/Mul", OpType: "Mul", Inputs: []string{"b", "half_out"}, Outputs: []string{"bh"}},
				{Name: "/add/Add", OpType: "Add", Inputs: []string{"ra", "bh"}, Outputs: []string{"s"}},
				{Name: "/out/Relu", OpType: "Relu", Inputs: []string{"s"}, Outputs: []string{"y"}},
			},
			Initializers: []*onnx.Initializer{w("wa", 1), w("wb", 2)},
			Inputs:       []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, []int{1, 4, 5, 5})},
			Outputs:      []onnx.ValueInfo{{Name: "y", ElemType: tensor.Float32}},
		},
	}
}

func TestUnitsAndCuts(t *testing.T) {
	a, err := slice.Analyze(context.Background(), residualModel(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(a.Model.Graph.Nodes); got != 6 {
		t.Errorf("folded model has %d nodes, want 6 (Identity and Constant folded)", got)
	}
	wantUnits := []struct {
		name string
		ops  string
	}{{"a", "[Conv Relu]"}, {"b", "[Conv Mul]"}, {"add", "[Add Relu]"}}
	if len(a.Units) != len(wantUnits) {
		t.Fatalf("got %d units, want %d", len(a.Units), len(wantUnits))
	}
	for i, w := range wantUnits {
		u := a.Units[i]
		if u.Name != w.name || fmt.Sprint(u.OpTypes()) != w.ops {
			t.Errorf("unit %d = %s %v, want %s %s", i, u.Name, u.OpTypes(), w.name, w.ops)
		}
	}
	act := int64(1 * 4 * 5 * 5 * 4)
	tests := []struct {
		after   int
		tensors string
		bytes   int64
	}{
		{-1, "[x]", act},
		{0, "[ra]", act},
		{1, "[ra bh]", 2 * act},
		{2, "[y]", act},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("after%d", tc.after), func(t *testing.T) {
			c := a.CutAfter(tc.after)
			var names []string
			for _, v := range c.Tensors {
				names = append(names, v.Name)
			}
			if fmt.Sprint(names) != tc.tensors || c.Bytes != tc.bytes {
				t.Errorf("cut after %d = %v (%d bytes), want %s (%d bytes)", tc.after, names, c.Bytes, tc.tensors, tc.bytes)
			}
		})
	}
	parts, err := a.Partition([]int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	// Partition 1 (conv_b) reads ra and must forward it to the Add.
	if p := parts[1]; len(p.Forward) != 1 || p.Forward[0].Name != "ra" || len(p.Outputs) != 1 || p.Outputs[0].Name != "bh" {
		t.Errorf("partition 1 outputs %v forward %v, want outputs [bh] forward [ra]", p.Outputs, p.Forward)
	}
	if p := parts[1]; len(p.Model.Graph.Initializers) != 2 {
		t.Errorf("partition 1 carries %d initializers, want 2 (wb_id and the folded constant)", len(p.Model.Graph.Initializers))
	}
}

func TestPartitionErrors(t *testing.T) {
	a, err := slice.Analyze(context.Background(), residualModel(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cuts := range [][]int{{-1}, {2}, {1, 0}, {0, 0}} {
		if _, err := a.Partition(cuts); err == nil {
			t.Errorf("Partition(%v) succeeded, want an error", cuts)
		}
	}
	if _, err := a.EvenCuts(4); err == nil {
		t.Error("EvenCuts(4) of 3 units succeeded")
	}
}

// TestChainBitwise slices zoo models into 2..8 partitions, writes them,
// reloads them (checking sha256) and checks that the chained output equals
// the monolithic output bit for bit.
func TestChainBitwise(t *testing.T) {
	archs := []string{"mnist", "resnet18", "squeezenet1_0", "mobilenetv2"}
	if !testing.Short() {
		archs = append(archs, "vgg16")
	}
	for _, arch := range archs {
		t.Run(arch, func(t *testing.T) {
			ctx := context.Background()
			m, err := zoo.Generate(arch, zoo.Options{Seed: 7})
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
			multi := 0
			for _, c := range a.Cuts() {
				if len(c.Tensors) > 1 {
					multi++
				}
			}
			t.Logf("%s: %d nodes, %d units, %d cuts with several tensors crossing", arch, len(a.Model.Graph.Nodes), len(a.Units), multi)
			partCounts := []int{2, 3, 5, 8}
			if arch == "vgg16" {
				partCounts = []int{3}
			}
			for _, n := range partCounts {
				cuts, err := a.EvenCuts(min(n, len(a.Units)))
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, a, cuts, x, want)
			}
			if multi > 0 {
				// Cut at every cut where several tensors cross, at once.
				var cuts []int
				for _, c := range a.Cuts() {
					if len(c.Tensors) > 1 {
						cuts = append(cuts, c.After)
					}
				}
				if len(cuts) > 7 {
					cuts = cuts[:7]
				}
				checkChain(t, a, cuts, x, want)
			}
		})
	}
}

func checkChain(t *testing.T, a *slice.Analysis, cuts []int, x *tensor.Tensor, want map[string]*tensor.Tensor) {
	t.Helper()
	parts, err := a.Partition(cuts)
	if err != nil {
		t.Fatalf("cuts %v: %v", cuts, err)
	}
	dir := t.TempDir()
	man, err := slice.Write(dir, a, parts, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Partitions) != len(cuts)+1 {
		t.Fatalf("manifest lists %d partitions, want %d", len(man.Partitions), len(cuts)+1)
	}
	chain, err := slice.LoadChain(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chain.Run(context.Background(), map[string]*tensor.Tensor{a.Inputs[0].Name: x})
	if err != nil {
		t.Fatalf("cuts %v: %v", cuts, err)
	}
	for name, w := range want {
		g := got[name]
		gb, _ := g.RawBytes()
		wb, _ := w.RawBytes()
		if !tensor.SameShape(g.Shape, w.Shape) || !bytes.Equal(gb, wb) {
			t.Errorf("cuts %v: output %q differs from the monolithic output", cuts, name)
		}
	}
}
