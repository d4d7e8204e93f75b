// Package zoo generates reference networks as ONNX models with
// deterministic random weights: VGG16, ResNet18, ResNet50, MobileNetV2,
// SqueezeNet 1.0 (ImageNet, [batch,3,224,224] -> [batch,1000]), a small
// MNIST CNN ([batch,1,28,28] -> [batch,10]), and two sequence models: an
// LSTM keyword spotter ([batch,49,40] MFCC frames -> [batch,12]) and a
// transformer encoder ([batch,16,64] token embeddings -> [batch,10]); see
// sequence.go for how far those two follow a torch export.
//
// Each graph is the one that torch.onnx.export(model.eval(), x,
// opset_version=13, input_names=["input"], output_names=["output"]) of torch
// 1.13 writes for the torchvision 0.14 model: the same operators in the same
// order, the same attributes, node names ("/layer1/layer1.0/conv1/Conv"),
// value names ("/layer1/layer1.0/conv1/Conv_output_0"), initializer names
// ("features.0.weight", or "onnx::Conv_193" for a convolution whose
// BatchNorm the exporter folded into it) and initializer order. Dropout is
// gone in eval mode and BatchNorm is folded, as in the export.
// hack/zoo-compare.py checks this against a real export.
//
// Weights are drawn from a PCG generator seeded by Options.Seed with a
// fan-in (He) scale, so that activations stay of order one through the whole
// network; they are not trained and the outputs mean nothing.
package zoo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
)

// Options parameterizes Generate.
type Options struct {
	// Seed selects the weights; the same seed gives the same model.
	Seed uint64
	// Batch is the fixed batch dimension of the input and output (default 1).
	Batch int
	// Opset is the ONNX opset imported (default 13). The graph is the
	// opset-13 export, which means the same in opsets 11 to 21.
	Opset int64
}

// Opset limits accepted by Generate.
const (
	DefaultOpset = 13
	MinOpset     = 11
	MaxOpset     = 21
)

// arch is one architecture of the zoo.
type arch struct {
	name  string
	input []int // input shape without the batch dimension
	build func(b *builder, input string) string
	// minOpset is the lowest opset the graph is written for (0: MinOpset).
	minOpset int64
}

// archs lists the architectures in the order Archs reports them.
func archs() []arch {
	imagenet := []int{3, 224, 224}
	return []arch{
		{"mnist", []int{1, 28, 28}, buildMNIST, 0},
		{"vgg16", imagenet, buildVGG16, 0},
		{"resnet18", imagenet, buildResNet18, 0},
		{"resnet50", imagenet, buildResNet50, 0},
		{"mobilenetv2", imagenet, buildMobileNetV2, 0},
		{"squeezenet1_0", imagenet, buildSqueezeNet10, 0},
		{"lstm_kws", []int{kwsFrames, kwsFeatures}, buildLSTMKWS, 13},
		{"transformer_encoder", []int{encTokens, encModel}, buildTransformerEncoder, 13},
	}
}

// Archs returns the names Generate accepts.
func Archs() []string {
	var names []string
	for _, a := range archs() {
		names = append(names, a.name)
	}
	return names
}

// Generate builds the named architecture with weights drawn from opts.Seed.
func Generate(name string, opts Options) (*onnx.Model, error) {
	if opts.Batch == 0 {
		opts.Batch = 1
	}
	if opts.Batch < 0 {
		return nil, fmt.Errorf("zoo: batch %d is negative", opts.Batch)
	}
	if opts.Opset == 0 {
		opts.Opset = DefaultOpset
	}
	if opts.Opset < MinOpset || opts.Opset > MaxOpset {
		return nil, fmt.Errorf("zoo: opset %d outside [%d, %d]", opts.Opset, MinOpset, MaxOpset)
	}
	for _, a := range archs() {
		if a.name != name {
			continue
		}
		if a.minOpset > opts.Opset {
			return nil, fmt.Errorf("zoo: %s needs opset %d or later, not %d", name, a.minOpset, opts.Opset)
		}
		b := newBuilder(opts.Seed)
		b.opset = opts.Opset
		in := b.input("input", append([]int{opts.Batch}, a.input...))
		out := a.build(b, in)
		g, err := b.finish(out, "output")
		if err != nil {
			return nil, fmt.Errorf("zoo: %s: %w", name, err)
		}
		return &onnx.Model{
			IRVersion:       irVersion(opts.Opset),
			OpsetImports:    []onnx.OpsetID{{Domain: "", Version: opts.Opset}},
			ProducerName:    "pytorch",
			ProducerVersion: "1.13.0",
			Graph:           g,
		}, nil
	}
	return nil, fmt.Errorf("zoo: unknown architecture %q (have %s)", name, strings.Join(Archs(), ", "))
}

// irVersion is the IR version of the ONNX release that introduced an opset;
// torch 1.13 writes 7 for opset 13.
func irVersion(opset int64) int64 {
	switch {
	case opset <= 11:
		return 6
	case opset <= 14:
		return 7
	case opset <= 18:
		return 8
	case opset <= 20:
		return 9
	}
	return 10
}

// Description summarizes a model: its operators, parameters and size.
type Description struct {
	Nodes        int
	OpCounts     map[string]int
	Initializers int
	// Params is the number of elements of all initializers.
	Params int64
	// Bytes is the size of all initializer payloads.
	Bytes int64
}

// Describe counts the operators and parameters of a model.
func Describe(m *onnx.Model) Description {
	d := Description{OpCounts: map[string]int{}}
	if m == nil || m.Graph == nil {
		return d
	}
	d.Nodes = len(m.Graph.Nodes)
	for _, n := range m.Graph.Nodes {
		d.OpCounts[n.OpType]++
	}
	d.Initializers = len(m.Graph.Initializers)
	for _, in := range m.Graph.Initializers {
		d.Params += int64(in.Tensor.Len())
		d.Bytes += in.Tensor.ByteSize()
	}
	return d
}

// String is one line: "62 nodes (Add=8 Conv=20 ...), 42 initializers,
// 11684712 params, 46738848 bytes".
func (d Description) String() string {
	ops := make([]string, 0, len(d.OpCounts))
	for op := range d.OpCounts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s=%d", op, d.OpCounts[op])
	}
	return fmt.Sprintf("%d nodes (%s), %d initializers, %d params, %d bytes",
		d.Nodes, strings.Join(parts, " "), d.Initializers, d.Params, d.Bytes)
}
