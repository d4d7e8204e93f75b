package zoo

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// want is what torch.onnx.export of torch 1.13 writes for each architecture
// (counted on real exports by hack/zoo-compare.py).
type want struct {
	arch   string
	input  []int
	output []int
	ops    map[string]int
	inits  int
	params int64
	// torchParams is the parameter count of the torch module; it differs
	// from params by the BatchNorm weights that folding removes.
	torchParams int64
	// folded is the name of the first folded convolution weight, if any.
	folded string
}

func wants() []want {
	imagenet := []int{1, 3, 224, 224}
	classes := []int{1, 1000}
	return []want{
		{"mnist", []int{1, 1, 28, 28}, []int{1, 10},
			map[string]int{"Conv": 2, "Flatten": 1, "Gemm": 1, "MaxPool": 2, "Relu": 2},
			6, 11274, 11274, ""},
		{"vgg16", imagenet, classes,
			map[string]int{"AveragePool": 1, "Conv": 13, "Flatten": 1, "Gemm": 3, "MaxPool": 5, "Relu": 15},
			32, 138357544, 138357544, ""},
		{"resnet18", imagenet, classes,
			map[string]int{"Add": 8, "Conv": 20, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "MaxPool": 1, "Relu": 17},
			42, 11684712, 11689512, "onnx::Conv_193"},
		{"resnet50", imagenet, classes,
			map[string]int{"Add": 16, "Conv": 53, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "MaxPool": 1, "Relu": 49},
			108, 25530472, 25557032, "onnx::Conv_497"},
		{"mobilenetv2", imagenet, classes,
			map[string]int{"Add": 10, "Clip": 35, "Constant": 70, "Conv": 52, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1},
			106, 3487816, 3504872, "onnx::Conv_538"},
		{"squeezenet1_0", imagenet, classes,
			map[string]int{"Concat": 8, "Conv": 26, "Flatten": 1, "GlobalAveragePool": 1, "MaxPool": 3, "Relu": 26},
			52, 1248424, 1248424, ""},
		// The sequence models are not checked against real exports (see
		// sequence.go); these are their own counts at opset 13.
		{"lstm_kws", []int{1, kwsFrames, kwsFeatures}, []int{1, kwsClasses},
			map[string]int{"Constant": 2, "Gather": 1, "Gemm": 1, "LSTM": 1, "Squeeze": 1, "Transpose": 2},
			5, 27916, 27916, ""},
		{"transformer_encoder", []int{1, encTokens, encModel}, []int{1, encClasses},
			map[string]int{"Add": 20, "Constant": 20, "Div": 6, "Gemm": 1, "MatMul": 12, "Mul": 4, "Pow": 4,
				"ReduceMean": 9, "Relu": 2, "Reshape": 8, "Softmax": 2, "Split": 2, "Sqrt": 4, "Sub": 4, "Transpose": 8},
			26, 67594, 67594, ""},
	}
}

// bigArch reports whether generating arch takes long enough to skip in
// -short mode.
func bigArch(arch string) bool { return arch == "vgg16" }

func TestArchsMatchTable(t *testing.T) {
	var names []string
	for _, w := range wants() {
		names = append(names, w.arch)
	}
	if got := Archs(); !reflect.DeepEqual(got, names) {
		t.Fatalf("Archs() = %v, want %v", got, names)
	}
}

func TestGenerateStructure(t *testing.T) {
	for _, w := range wants() {
		t.Run(w.arch, func(t *testing.T) {
			if testing.Short() && bigArch(w.arch) {
				t.Skip("large model")
			}
			m, err := Generate(w.arch, Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			d := Describe(m)
			t.Logf("%s: %s", w.arch, d)
			if !reflect.DeepEqual(d.OpCounts, w.ops) {
				t.Errorf("op counts %v, want %v", d.OpCounts, w.ops)
			}
			if d.Initializers != w.inits || d.Params != w.params {
				t.Errorf("%d initializers with %d params, want %d with %d", d.Initializers, d.Params, w.inits, w.params)
			}
			if d.Bytes != 4*w.params {
				t.Errorf("%d bytes, want %d", d.Bytes, 4*w.params)
			}
			if m.IRVersion != 7 || m.Opset("") != 13 || m.ProducerName != "pytorch" || m.Graph.Name != "torch_jit" {
				t.Errorf("header: ir %d opset %d producer %q graph %q", m.IRVersion, m.Opset(""), m.ProducerName, m.Graph.Name)
			}
			checkIO(t, m.Graph.Inputs, "input", w.input)
			checkIO(t, m.Graph.Outputs, "output", w.output)
			checkGraph(t, m.Graph)
			if w.folded != "" {
				checkFolded(t, m.Graph, w.folded)
			}
		})
	}
}

func checkIO(t *testing.T, vis []onnx.ValueInfo, name string, shape []int) {
	t.Helper()
	if len(vis) != 1 || vis[0].Name != name || vis[0].ElemType != tensor.Float32 {
		t.Errorf("graph io %+v, want one float32 %q", vis, name)
		return
	}
	if got, ok := vis[0].FixedShape(); !ok || !tensor.SameShape(got, shape) {
		t.Errorf("%s shape %v, want %v", name, got, shape)
	}
}

// checkGraph verifies that the nodes are in topological order, every input
// is defined, names are unique, every initializer is used and every Conv and
// Gemm weight has the shape its attributes imply.
func checkGraph(t *testing.T, g *onnx.Graph) {
	t.Helper()
	defined := map[string]bool{}
	inits := map[string]*tensor.Tensor{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, in := range g.Initializers {
		if defined[in.Name] {
			t.Errorf("initializer %q defined twice", in.Name)
		}
		if err := in.Tensor.Check(); err != nil {
			t.Errorf("initializer %q: %v", in.Name, err)
		}
		defined[in.Name] = true
		inits[in.Name] = in.Tensor
	}
	used := map[string]bool{}
	nodeNames := map[string]bool{}
	for _, n := range g.Nodes {
		if nodeNames[n.Name] || n.Name == "" {
			t.Errorf("node name %q empty or repeated", n.Name)
		}
		nodeNames[n.Name] = true
		for _, in := range n.Inputs {
			if !defined[in] {
				t.Errorf("node %s reads %q before it is defined", n.Name, in)
			}
			used[in] = true
		}
		for _, out := range n.Outputs {
			if defined[out] {
				t.Errorf("node %s redefines %q", n.Name, out)
			}
			defined[out] = true
			if out != "output" && !strings.HasPrefix(out, n.Name+"_output_") {
				t.Errorf("node %s output named %q", n.Name, out)
			}
		}
		if n.OpType != "Constant" && !strings.HasSuffix(n.Name, "/"+n.OpType) && !strings.Contains(n.Name, "/"+n.OpType+"_") {
			t.Errorf("node %s of type %s", n.Name, n.OpType)
		}
		checkWeights(t, n, inits)
	}
	for name := range inits {
		if !used[name] {
			t.Errorf("initializer %q unused", name)
		}
	}
	for _, out := range g.Outputs {
		if !defined[out.Name] {
			t.Errorf("graph output %q undefined", out.Name)
		}
	}
}

func checkWeights(t *testing.T, n *onnx.Node, inits map[string]*tensor.Tensor) {
	t.Helper()
	switch n.OpType {
	case "Conv":
		k, _ := n.AttrInts("kernel_shape", nil)
		group, _ := n.AttrInt("group", 1)
		w, bias := inits[n.Inputs[1]], inits[n.Inputs[2]]
		if w == nil || bias == nil || w.Rank() != 4 || w.Shape[2] != int(k[0]) || w.Shape[3] != int(k[1]) ||
			!tensor.SameShape(bias.Shape, w.Shape[:1]) || w.Shape[0]%int(group) != 0 {
			t.Errorf("conv %s: weight %v bias %v kernel %v group %d", n.Name, w, bias, k, group)
		}
	case "Gemm":
		w, bias := inits[n.Inputs[1]], inits[n.Inputs[2]]
		if w == nil || bias == nil || w.Rank() != 2 || !tensor.SameShape(bias.Shape, w.Shape[:1]) {
			t.Errorf("gemm %s: weight %v bias %v", n.Name, w, bias)
		}
	}
}

// checkFolded verifies that folded weights come after the state-dict ones,
// numbered from first in steps of three (weight, bias).
func checkFolded(t *testing.T, g *onnx.Graph, first string) {
	t.Helper()
	var folded []string
	for _, in := range g.Initializers {
		if strings.HasPrefix(in.Name, "onnx::Conv_") {
			folded = append(folded, in.Name)
		} else if len(folded) > 0 {
			t.Errorf("state-dict initializer %q after folded ones", in.Name)
		}
	}
	if len(folded) == 0 || folded[0] != first {
		t.Fatalf("folded initializers start %v, want %s", folded[:min(2, len(folded))], first)
	}
	base, err := strconv.Atoi(strings.TrimPrefix(first, "onnx::Conv_"))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range folded {
		want := base + 3*(i/2) + i%2
		got, err := strconv.Atoi(strings.TrimPrefix(name, "onnx::Conv_"))
		if err != nil || got != want {
			t.Errorf("folded initializer %d is %q, want number %d", i, name, want)
		}
	}
}

func TestResNet18Names(t *testing.T) {
	m, err := Generate("resnet18", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Nodes and inputs as torch 1.13 exports them.
	tests := []struct {
		index  int
		name   string
		inputs []string
	}{
		{0, "/conv1/Conv", []string{"input", "onnx::Conv_193", "onnx::Conv_194"}},
		{7, "/layer1/layer1.0/relu_1/Relu", []string{"/layer1/layer1.0/Add_output_0"}},
		{6, "/layer1/layer1.0/Add", []string{"/layer1/layer1.0/conv2/Conv_output_0", "/maxpool/MaxPool_output_0"}},
		{16, "/layer2/layer2.0/downsample/downsample.0/Conv", []string{"/layer1/layer1.1/relu_1/Relu_output_0", "onnx::Conv_214", "onnx::Conv_215"}},
		{47, "/Flatten", []string{"/avgpool/GlobalAveragePool_output_0"}},
		{48, "/fc/Gemm", []string{"/Flatten_output_0", "fc.weight", "fc.bias"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := m.Graph.Nodes[tt.index]
			if n.Name != tt.name || !reflect.DeepEqual(n.Inputs, tt.inputs) {
				t.Errorf("node %d is %s%v, want %s%v", tt.index, n.Name, n.Inputs, tt.name, tt.inputs)
			}
		})
	}
	if last := m.Graph.Nodes[len(m.Graph.Nodes)-1]; !reflect.DeepEqual(last.Outputs, []string{"output"}) {
		t.Errorf("last node writes %v", last.Outputs)
	}
}

// weightsHash hashes every initializer's name, shape and values.
func weightsHash(m *onnx.Model) uint64 {
	h := fnv.New64a()
	var buf [4]byte
	for _, in := range m.Graph.Initializers {
		h.Write([]byte(in.Name))
		for _, d := range in.Tensor.Shape {
			binary.LittleEndian.PutUint32(buf[:], uint32(d))
			h.Write(buf[:])
		}
		for _, v := range in.Tensor.Float32s() {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	return h.Sum64()
}

func TestDeterministic(t *testing.T) {
	for _, w := range wants() {
		t.Run(w.arch, func(t *testing.T) {
			if bigArch(w.arch) {
				// Three VGG16s at 553 MB each are too much for a unit test.
				t.Skip("large model")
			}
			gen := func(seed uint64) (*onnx.Model, uint64) {
				m, err := Generate(w.arch, Options{Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				return m, weightsHash(m)
			}
			m1, h1 := gen(7)
			m2, h2 := gen(7)
			_, h3 := gen(8)
			if h1 != h2 {
				t.Errorf("seed 7 twice: hashes %x and %x", h1, h2)
			}
			if h1 == h3 {
				t.Errorf("seeds 7 and 8 give the same weights")
			}
			if !reflect.DeepEqual(m1.Graph.Nodes, m2.Graph.Nodes) {
				t.Errorf("seed 7 twice: different nodes")
			}
		})
	}
}

func TestWeightScale(t *testing.T) {
	m, err := Generate("resnet18", Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range m.Graph.Initializers {
		x := in.Tensor.Float32s()
		var sum, sq float64
		for _, v := range x {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(x))
		std := math.Sqrt(sq/n - (sum/n)*(sum/n))
		if in.Tensor.Rank() == 1 {
			if std < biasStd/2 || std > biasStd*2 {
				t.Errorf("bias %s std %g, want about %g", in.Name, std, biasStd)
			}
			continue
		}
		fanIn := tensor.NumElements(in.Tensor.Shape[1:])
		if limit := 2 / math.Sqrt(float64(fanIn)); std > limit || std < limit/100 {
			t.Errorf("weight %s (fan-in %d) std %g, want at most %g", in.Name, fanIn, std, limit)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		arch    string
		opts    Options
		wantErr string
		batch   int
		opset   int64
		ir      int64
	}{
		{"defaults", "mnist", Options{}, "", 1, 13, 7},
		{"batch", "mnist", Options{Batch: 4}, "", 4, 13, 7},
		{"opset 17", "mnist", Options{Opset: 17}, "", 1, 17, 8},
		{"opset 11", "mnist", Options{Opset: 11}, "", 1, 11, 6},
		{"opset too old", "mnist", Options{Opset: 9}, "opset 9", 0, 0, 0},
		{"opset too new", "mnist", Options{Opset: 30}, "opset 30", 0, 0, 0},
		{"negative batch", "mnist", Options{Batch: -1}, "batch", 0, 0, 0},
		{"unknown", "alexnet", Options{}, "unknown architecture", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Generate(tt.arch, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in, _ := m.Graph.Inputs[0].FixedShape()
			out, _ := m.Graph.Outputs[0].FixedShape()
			if in[0] != tt.batch || out[0] != tt.batch || m.Opset("") != tt.opset || m.IRVersion != tt.ir {
				t.Errorf("input %v output %v opset %d ir %d", in, out, m.Opset(""), m.IRVersion)
			}
		})
	}
}
