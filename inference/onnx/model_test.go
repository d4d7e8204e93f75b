package onnx

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// handModel builds a model that uses every feature the codec carries.
func handModel() *Model {
	nan := math.Float32frombits(0x7fc00123)
	body := &Graph{
		Name:    "body",
		Nodes:   []*Node{{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"b"}}},
		Inputs:  []ValueInfo{TensorValueInfo("a", tensor.Float32, nil)},
		Outputs: []ValueInfo{{Name: "b", ElemType: tensor.Float32}},
	}
	inits := []*Initializer{
		{Name: "f32", Tensor: tensor.MustFromSlice([]float32{1, float32(math.Copysign(0, -1)), nan, float32(math.Inf(1))}, 2, 2)},
		{Name: "f64", Tensor: tensor.MustFromSlice([]float64{math.Pi}, 1)},
		{Name: "i8", Tensor: tensor.MustFromSlice([]int8{-128, 127}, 2)},
		{Name: "i16", Tensor: tensor.MustFromSlice([]int16{-300}, 1)},
		{Name: "i32", Tensor: tensor.MustFromSlice([]int32{math.MinInt32}, 1)},
		{Name: "i64", Tensor: tensor.MustFromSlice([]int64{math.MaxInt64, -1}, 2)},
		{Name: "u8", Tensor: tensor.MustFromSlice([]uint8{255}, 1, 1)},
		{Name: "u16", Tensor: tensor.MustFromSlice([]uint16{65535}, 1)},
		{Name: "u32", Tensor: tensor.MustFromSlice([]uint32{math.MaxUint32}, 1)},
		{Name: "u64", Tensor: tensor.MustFromSlice([]uint64{math.MaxUint64}, 1)},
		{Name: "b", Tensor: tensor.MustFromSlice([]bool{true, false, true}, 3)},
		{Name: "h", Tensor: mustFloat16([]uint16{0x3c00, 0x7e00}, 2)},
		{Name: "bf", Tensor: &tensor.Tensor{DType: tensor.BFloat16, Shape: []int{1}, Data: []uint16{0x3f80}}},
		{Name: "s", Tensor: tensor.MustFromSlice([]string{"", "héllo", "a\x00b"}, 3)},
		{Name: "scalar", Tensor: tensor.MustFromSlice([]float32{2})},
		{Name: "empty", Tensor: tensor.MustFromSlice([]float32{}, 0, 3)},
		{Name: "", Tensor: tensor.MustFromSlice([]int64{}, 0)},
	}
	return &Model{
		IRVersion:       8,
		OpsetImports:    []OpsetID{{Domain: "", Version: 17}, {Domain: "com.microsoft", Version: 1}},
		ProducerName:    "papdl-test",
		ProducerVersion: "0.1",
		Domain:          "org.papdl",
		ModelVersion:    3,
		DocString:       "a model\nwith a doc string",
		MetadataProps:   []StringPair{{Key: "k", Value: "v"}, {Key: "empty"}},
		Graph: &Graph{
			Name:      "main",
			DocString: "main graph",
			Nodes: []*Node{
				{Name: "mul", OpType: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"y"}, DocString: "x*x"},
				{OpType: "Clip", Inputs: []string{"y", "", "f32"}, Outputs: []string{"z"}},
				{Name: "attrs", OpType: "Custom", Domain: "com.microsoft", Inputs: []string{"z"}, Outputs: []string{"w", ""},
					Attrs: []Attribute{
						{Name: "f", Type: AttrFloat, F: 0.5},
						{Name: "fzero", Type: AttrFloat},
						{Name: "fneg0", Type: AttrFloat, F: float32(math.Copysign(0, -1))},
						{Name: "fnan", Type: AttrFloat, F: nan},
						{Name: "i", Type: AttrInt, I: -42},
						{Name: "izero", Type: AttrInt},
						{Name: "s", Type: AttrString, S: []byte("NOTSET")},
						{Name: "sempty", Type: AttrString},
						{Name: "t", Type: AttrTensor, T: tensor.MustFromSlice([]int64{1, 2, 3}, 3)},
						{Name: "tscalar", Type: AttrTensor, T: tensor.MustFromSlice([]string{"x"})},
						{Name: "g", Type: AttrGraph, G: body},
						{Name: "floats", Type: AttrFloats, Floats: []float32{1, nan, -1}},
						{Name: "floatsempty", Type: AttrFloats},
						{Name: "ints", Type: AttrInts, Ints: []int64{math.MinInt64, 0, 1}},
						{Name: "strings", Type: AttrStrings, Strings: [][]byte{[]byte("a"), nil, []byte("c")}},
						{Name: "tensors", Type: AttrTensors, Tensors: []*tensor.Tensor{
							tensor.MustFromSlice([]float32{1}, 1), tensor.MustFromSlice([]bool{}, 0)}},
						{Name: "graphs", Type: AttrGraphs, Graphs: []*Graph{body, {Name: "empty"}}},
						{Name: "tp", Type: AttrTypeProto, S: []byte{0x0a, 0x02, 0x08, 0x01}},
						{Name: "tps", Type: AttrTypeProtos, Strings: [][]byte{{0x0a, 0x02, 0x08, 0x07}, nil}},
						{Name: "sparse", Type: AttrSparseTensor, S: []byte{0x1a, 0x01, 0x03}},
						{Name: "sparses", Type: AttrSparseTensors, Strings: [][]byte{{0x1a, 0x01, 0x04}}},
						{Name: "ref", Type: AttrFloat, RefAttrName: "alpha"},
						{Name: "reftensor", Type: AttrTensor, RefAttrName: "value"},
						{Name: "mixed", Type: AttrInts, Ints: []int64{1}, F: 2, S: []byte("s")},
						{Name: "untyped"},
					}},
			},
			Initializers: inits,
			Inputs: []ValueInfo{
				{Name: "x", ElemType: tensor.Float32, HasShape: true, DocString: "input",
					Shape: []Dim{{Param: "batch"}, {Value: 3, Known: true}, {}, {Value: 0, Known: true}}},
				TensorValueInfo("f32", tensor.Float32, []int{2, 2}),
			},
			Outputs: []ValueInfo{
				{Name: "w", ElemType: tensor.Float16},
				{Name: "seq"},
				{Name: "bf16", ElemType: tensor.BFloat16, HasShape: true, Shape: []Dim{}},
			},
			ValueInfo: []ValueInfo{
				{Name: "y", HasShape: true, Shape: []Dim{{Param: "n"}}},
				TensorValueInfo("z", tensor.Float32, []int{}),
			},
		},
	}
}

func TestHandBuiltRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    *Model
	}{
		{"everything", handModel()},
		{"minimal", &Model{Graph: &Graph{}}},
		{"graph only nodes", &Model{IRVersion: 3, Graph: &Graph{Nodes: []*Node{{OpType: "Relu"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, tc.m)
		})
	}
}

// TestDecodeMatchesBuilt checks decoded values against the built model
// field by field through the public accessors, so that a bug that the
// round trip would hide (the same mistake both ways) shows up.
func TestDecodeMatchesBuilt(t *testing.T) {
	data, err := Encode(handModel())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset("ai.onnx") != 17 || m.Opset("com.microsoft") != 1 {
		t.Errorf("opsets %+v", m.OpsetImports)
	}
	n := m.Graph.Nodes[2]
	if got, _ := n.AttrInt("i", 0); got != -42 {
		t.Errorf("i = %d", got)
	}
	if got, _ := n.AttrString("s", ""); got != "NOTSET" {
		t.Errorf("s = %q", got)
	}
	if got, _ := n.AttrInts("ints", nil); len(got) != 3 || got[0] != math.MinInt64 {
		t.Errorf("ints = %v", got)
	}
	if got, _ := n.AttrTensor("t"); got == nil || got.Int64s()[2] != 3 {
		t.Errorf("t = %v", got)
	}
	if a, _ := n.Attr("g"); a.G == nil || a.G.Nodes[0].OpType != "Identity" {
		t.Errorf("g = %+v", a.G)
	}
	if len(m.Graph.Nodes[0].Inputs) != 2 || m.Graph.Nodes[1].Inputs[1] != "" {
		t.Errorf("inputs %v %v", m.Graph.Nodes[0].Inputs, m.Graph.Nodes[1].Inputs)
	}
	if s, ok := m.Graph.Inputs[0].FixedShape(); ok {
		t.Errorf("symbolic shape reported fixed: %v", s)
	}
	if d := m.Graph.Inputs[0].Shape; d[0].Param != "batch" || d[0].Known || !d[1].Known || d[1].Value != 3 || d[2].Known || d[2].Param != "" {
		t.Errorf("dims %+v", d)
	}
	if v := m.Graph.ValueInfo[1]; !v.HasShape || len(v.Shape) != 0 {
		t.Errorf("scalar value info %+v", v)
	}
	if v := m.Graph.Outputs[1]; v.HasShape || v.ElemType != tensor.Undefined {
		t.Errorf("untyped output %+v", v)
	}
	if got := m.Graph.Initializers[0].Tensor.Float32s(); math.Float32bits(got[2]) != 0x7fc00123 || math.Float32bits(got[1]) != 0x80000000 {
		t.Errorf("f32 initializer bits %x", got)
	}
	if got := m.Graph.Initializers[13].Tensor.Data.([]string); got[1] != "héllo" || got[2] != "a\x00b" {
		t.Errorf("string initializer %q", got)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	want := handModel()
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("Load(Save(m)) differs at %s", d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Save left %d files in the directory, want 1", len(entries))
	}
	if err := Save(filepath.Join(dir, "missing", "m.onnx"), want); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if _, err := Load(filepath.Join(dir, "nope.onnx")); err == nil || !strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    *Model
		want string
	}{
		{"nil model", nil, "nil model"},
		{"no graph", &Model{}, "no graph"},
		{"nil node", &Model{Graph: &Graph{Nodes: []*Node{nil}}}, "node 0 is nil"},
		{"nil initializer tensor", &Model{Graph: &Graph{Initializers: []*Initializer{{Name: "w"}}}}, `tensor "w"`},
		{"tensor attr without tensor", &Model{Graph: &Graph{Nodes: []*Node{{OpType: "Constant", Attrs: []Attribute{{Name: "value", Type: AttrTensor}}}}}},
			`attribute "value": TENSOR attribute without a tensor`},
		{"bad nested tensor", &Model{Graph: &Graph{Nodes: []*Node{{OpType: "If", Attrs: []Attribute{{Name: "then_branch", Type: AttrGraph,
			G: &Graph{Name: "then", Initializers: []*Initializer{{Name: "c", Tensor: &tensor.Tensor{DType: tensor.Float32, Shape: []int{2}, Data: []float32{1}}}}}}}}}}},
			`graph "then": initializer 0: tensor "c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
