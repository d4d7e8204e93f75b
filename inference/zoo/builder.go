package zoo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// pcgStream is the second PCG word; the seed is the first.
const pcgStream = 0x7a6f6f // "zoo"

// biasStd is the standard deviation of every bias, folded or not.
const biasStd = 0.01

// Gains multiply sqrt(1/fan_in) to give a weight's standard deviation.
const (
	// gainReLU keeps the second moment through a layer followed by ReLU
	// (He initialization).
	gainReLU = math.Sqrt2
	// gainLinear is for a layer whose output is not rectified.
	gainLinear = 1.0
)

// builder assembles a graph with torch.onnx.export's names. It tracks the
// shape of every value to check the architecture while building, and counts
// what the traced torch graph holds before BatchNorm folding, because the
// exporter numbers the folded parameters after it.
type builder struct {
	rng    *rand.Rand
	nodes  []*onnx.Node
	inputs []onnx.ValueInfo
	shapes map[string][]int
	// scopeUses and nodeUses make scope and node names unique the way the
	// exporter does: the second "/layer1/layer1.0/relu" is "..._1".
	scopeUses map[string]int
	nodeUses  map[string]int
	// named are the initializers that keep their state-dict name, in
	// order; folded are the convolutions' folded weight and bias pairs,
	// renamed "onnx::Conv_N" by finish.
	named  []*onnx.Initializer
	folded []*onnx.Initializer
	// stateDict counts the entries of the torch module's state dict (the
	// traced graph's parameter inputs); values counts the node outputs of
	// the traced graph before folding.
	stateDict int
	values    int
	// opset is the opset the graph is written for (the sequence models
	// change form at opsets 17 and 18).
	opset int64
	err   error
}

func newBuilder(seed uint64) *builder {
	return &builder{
		rng:       rand.New(rand.NewPCG(seed, pcgStream)),
		shapes:    map[string][]int{},
		scopeUses: map[string]int{},
		nodeUses:  map[string]int{},
	}
}

// fail records the first error; later operations keep building so that the
// code stays linear, and finish reports it.
func (b *builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

// input declares a float32 graph input.
func (b *builder) input(name string, shape []int) string {
	b.inputs = append(b.inputs, onnx.TensorValueInfo(name, tensor.Float32, shape))
	b.shapes[name] = shape
	return name
}

// unique returns name the first time and name_1, name_2, ... later.
func unique(uses map[string]int, name string) string {
	n, seen := uses[name]
	if !seen {
		uses[name] = 0
		return name
	}
	uses[name] = n + 1
	return fmt.Sprintf("%s_%d", name, n+1)
}

// scope names one call of a module, path being the module names from the
// root, each without the numeric tail of its parent's ("/layer1/layer1.0/
// conv1"). Call it once per call of the module, only when the call emits a
// node. The root module's scope is "".
func (b *builder) scope(path string) string {
	return unique(b.scopeUses, path)
}

// node appends a node with one output of the given shape and returns the
// output's name.
func (b *builder) node(scope, op string, inputs []string, shape []int, attrs ...onnx.Attribute) string {
	for _, in := range inputs {
		if _, ok := b.shapes[in]; !ok {
			b.fail("%s %s: undefined input %q", scope, op, in)
		}
	}
	name := unique(b.nodeUses, scope+"/"+op)
	out := name + "_output_0"
	b.nodes = append(b.nodes, &onnx.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	b.shapes[out] = shape
	b.values++
	return out
}

// shape returns the shape of a value, which must be rank-4 NCHW for the
// callers that ask for rank 4.
func (b *builder) shape(v string, rank int) []int {
	s := b.shapes[v]
	if len(s) != rank {
		b.fail("value %q has shape %v, want rank %d", v, s, rank)
		return make([]int, rank)
	}
	return s
}

// random returns a float32 tensor with normal entries of the given
// standard deviation.
func (b *builder) random(std float64, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	data := t.Float32s()
	for i := range data {
		data[i] = float32(b.rng.NormFloat64() * std)
	}
	return t
}

// param adds a state-dict initializer.
func (b *builder) param(name string, t *tensor.Tensor) string {
	b.named = append(b.named, &onnx.Initializer{Name: name, Tensor: t})
	b.shapes[name] = t.Shape
	b.stateDict++
	return name
}

// foldedParam adds a folded initializer under a provisional name.
func (b *builder) foldedParam(t *tensor.Tensor) string {
	name := fmt.Sprintf("folded:%d", len(b.folded))
	b.folded = append(b.folded, &onnx.Initializer{Name: name, Tensor: t})
	b.shapes[name] = t.Shape
	return name
}

// convSpec is an nn.Conv2d with square kernel, stride and padding.
type convSpec struct {
	out, kernel, stride, pad, groups int
	// gain scales the weights' sqrt(1/fan_in) standard deviation.
	gain float64
}

// conv emits a Conv for an nn.Conv2d with bias whose parameters are
// param+".weight" and param+".bias".
func (b *builder) conv(scope, param, x string, c convSpec) string {
	w, bias := b.convParams(x, c)
	return b.convNode(scope, x, b.param(param+".weight", w), b.param(param+".bias", bias), c)
}

// convBN emits the Conv that the exporter makes of an nn.Conv2d without bias
// followed by an nn.BatchNorm2d in eval mode: a Conv with a weight and a bias.
func (b *builder) convBN(scope, x string, c convSpec) string {
	w, bias := b.convParams(x, c)
	wName, bName := b.foldedParam(w), b.foldedParam(bias)
	// The traced graph had the conv weight and the five BatchNorm entries
	// (weight, bias, running mean and variance, batches tracked) as
	// inputs, and a BatchNormalization output besides the Conv's.
	b.stateDict += 6
	b.values++
	return b.convNode(scope, x, wName, bName, c)
}

// convParams draws the weight and bias of a convolution applied to x.
func (b *builder) convParams(x string, c convSpec) (w, bias *tensor.Tensor) {
	in := b.shape(x, 4)[1]
	if c.groups < 1 || in%c.groups != 0 || c.out%c.groups != 0 {
		b.fail("conv %d->%d: bad group count %d", in, c.out, c.groups)
		c.groups = 1
	}
	fanIn := in / c.groups * c.kernel * c.kernel
	w = b.random(c.gain/math.Sqrt(float64(fanIn)), c.out, in/c.groups, c.kernel, c.kernel)
	bias = b.random(biasStd, c.out)
	return w, bias
}

func (b *builder) convNode(scope, x, w, bias string, c convSpec) string {
	s := b.shape(x, 4)
	h := (s[2]+2*c.pad-c.kernel)/c.stride + 1
	wd := (s[3]+2*c.pad-c.kernel)/c.stride + 1
	return b.node(scope, "Conv", []string{x, w, bias}, []int{s[0], c.out, h, wd},
		ints("dilations", 1, 1),
		intAttr("group", int64(c.groups)),
		ints("kernel_shape", c.kernel, c.kernel),
		ints("pads", c.pad, c.pad, c.pad, c.pad),
		ints("strides", c.stride, c.stride))
}

// linear emits the Gemm of an nn.Linear with parameters param+".weight"
// ([out, in]) and param+".bias".
func (b *builder) linear(scope, param, x string, out int, gain float64) string {
	s := b.shape(x, 2)
	w := b.param(param+".weight", b.random(gain/math.Sqrt(float64(s[1])), out, s[1]))
	bias := b.param(param+".bias", b.random(biasStd, out))
	return b.node(scope, "Gemm", []string{x, w, bias}, []int{s[0], out},
		floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transB", 1))
}

// relu emits a Relu.
func (b *builder) relu(scope, x string) string {
	return b.node(scope, "Relu", []string{x}, b.shapes[x])
}

// relu6 emits what the exporter makes of nn.ReLU6 at opset 13: Clip with
// its bounds from two scalar Constant nodes.
func (b *builder) relu6(scope, x string) string {
	lo := b.node(scope, "Constant", nil, []int{}, tensorAttr("value", tensor.MustFromSlice([]float32{0})))
	hi := b.node(scope, "Constant", nil, []int{}, tensorAttr("value", tensor.MustFromSlice([]float32{6})))
	return b.node(scope, "Clip", []string{x, lo, hi}, b.shapes[x])
}

// maxPool emits an nn.MaxPool2d with square kernel, stride and padding.
func (b *builder) maxPool(scope, x string, kernel, stride, pad int, ceil bool) string {
	s := b.shape(x, 4)
	ceilMode := int64(0)
	if ceil {
		ceilMode = 1
	}
	out := func(n int) int {
		span := n + 2*pad - kernel
		o := span/stride + 1
		if ceil && span%stride != 0 {
			o++
			// A window may not start in the right padding.
			if (o-1)*stride >= n+pad {
				o--
			}
		}
		return o
	}
	return b.node(scope, "MaxPool", []string{x}, []int{s[0], s[1], out(s[2]), out(s[3])},
		intAttr("ceil_mode", ceilMode),
		ints("kernel_shape", kernel, kernel),
		ints("pads", pad, pad, pad, pad),
		ints("strides", stride, stride))
}

// adaptiveAvgPool emits nn.AdaptiveAvgPool2d((size, size)): GlobalAveragePool
// for size 1, else an AveragePool whose kernel and stride divide the input.
func (b *builder) adaptiveAvgPool(scope, x string, size int) string {
	s := b.shape(x, 4)
	if size == 1 {
		return b.node(scope, "GlobalAveragePool", []string{x}, []int{s[0], s[1], 1, 1})
	}
	if s[2]%size != 0 || s[3]%size != 0 || s[2] != s[3] {
		b.fail("adaptive average pool of %v to %dx%d is not a plain pool", s, size, size)
		return x
	}
	k := s[2] / size
	return b.node(scope, "AveragePool", []string{x}, []int{s[0], s[1], size, size},
		ints("kernel_shape", k, k), ints("strides", k, k))
}

// flatten emits torch.flatten(x, 1).
func (b *builder) flatten(scope, x string) string {
	s := b.shapes[x]
	if len(s) < 2 {
		b.fail("flatten of %q with shape %v", x, s)
		return x
	}
	return b.node(scope, "Flatten", []string{x}, []int{s[0], tensor.NumElements(s[1:])}, intAttr("axis", 1))
}

// add emits an elementwise Add of two values of the same shape.
func (b *builder) add(scope, x, y string) string {
	if !tensor.SameShape(b.shapes[x], b.shapes[y]) {
		b.fail("%s: add of shapes %v and %v", scope, b.shapes[x], b.shapes[y])
	}
	return b.node(scope, "Add", []string{x, y}, b.shapes[x])
}

// concat emits torch.cat(xs, 1) of NCHW values.
func (b *builder) concat(scope string, xs ...string) string {
	out := append([]int{}, b.shape(xs[0], 4)...)
	out[1] = 0
	for _, x := range xs {
		s := b.shape(x, 4)
		if s[0] != out[0] || s[2] != out[2] || s[3] != out[3] {
			b.fail("%s: concat of %v with %v", scope, s, out)
		}
		out[1] += s[1]
	}
	return b.node(scope, "Concat", xs, out, intAttr("axis", 1))
}

// finish renames the value out to name, numbers the folded parameters as the
// exporter does and returns the graph.
func (b *builder) finish(out, name string) (*onnx.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	// The traced graph's values are numbered from 1: the input, the
	// state-dict entries, the node outputs; the folded parameters come
	// next, three numbers per convolution (weight, bias, and one unused).
	base := 2 + b.stateDict + b.values
	rename := map[string]string{out: name}
	for i, in := range b.folded {
		n := base + 3*(i/2) + i%2
		rename[in.Name] = fmt.Sprintf("onnx::Conv_%d", n)
		in.Name = rename[in.Name]
	}
	for _, n := range b.nodes {
		for i, in := range n.Inputs {
			if r, ok := rename[in]; ok {
				n.Inputs[i] = r
			}
		}
		for i, o := range n.Outputs {
			if r, ok := rename[o]; ok {
				n.Outputs[i] = r
			}
		}
	}
	shape, ok := b.shapes[out]
	if !ok {
		return nil, fmt.Errorf("output %q is not defined", out)
	}
	return &onnx.Graph{
		Name:         "torch_jit",
		Nodes:        b.nodes,
		Initializers: append(b.named, b.folded...),
		Inputs:       b.inputs,
		Outputs:      []onnx.ValueInfo{onnx.TensorValueInfo(name, tensor.Float32, shape)},
	}, nil
}

func intAttr(name string, v int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func floatAttr(name string, v float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

func ints(name string, vs ...int) onnx.Attribute {
	a := onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: make([]int64, len(vs))}
	for i, v := range vs {
		a.Ints[i] = int64(v)
	}
	return a
}

func tensorAttr(name string, t *tensor.Tensor) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrTensor, T: t}
}
