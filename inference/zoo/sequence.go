package zoo

import (
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// The sequence models follow the operator sequence that torch.onnx.export
// (torch 1.13, opset 13, batch_first modules, static shapes) writes for
//
//	lstm_kws: nn.LSTM(40, 64, batch_first=True) over 49 MFCC frames, the
//	    last step's output into nn.Linear(64, 12);
//	transformer_encoder: nn.TransformerEncoder of 2 post-norm
//	    nn.TransformerEncoderLayer(64, 4, 128, batch_first=True) with ReLU,
//	    a mean over the 16 tokens and nn.Linear(64, 10).
//
// Unlike the CNNs they are not compared with real exports by
// hack/zoo-compare.py: the exporter's shape arithmetic for dynamic axes
// (Shape/Gather/Concat chains) is replaced by constant shapes, the packed
// LSTM parameters are named onnx::LSTM_W/R/B, and initial LSTM states are
// omitted (zeros, as in the module). LayerNorm is decomposed (ReduceMean,
// Sub, Pow, Sqrt, Div, Mul, Add) below opset 17 and a LayerNormalization
// node from 17 on; ReduceMean takes its axes as an input from opset 18.

// Sizes of the sequence models.
const (
	kwsFrames   = 49
	kwsFeatures = 40
	kwsHidden   = 64
	kwsClasses  = 12

	encTokens  = 16
	encModel   = 64
	encHeads   = 4
	encFF      = 128
	encLayers  = 2
	encClasses = 10
)

// nodeN appends a node with several outputs (named NAME_output_i) and
// returns them.
func (b *builder) nodeN(scope, op string, inputs []string, shapes [][]int, attrs ...onnx.Attribute) []string {
	for _, in := range inputs {
		if _, ok := b.shapes[in]; !ok && in != "" {
			b.fail("%s %s: undefined input %q", scope, op, in)
		}
	}
	name := unique(b.nodeUses, scope+"/"+op)
	outs := make([]string, len(shapes))
	for i, s := range shapes {
		outs[i] = name + "_output_" + string(rune('0'+i))
		b.shapes[outs[i]] = s
		b.values++
	}
	b.nodes = append(b.nodes, &onnx.Node{Name: name, OpType: op, Inputs: inputs, Outputs: outs, Attrs: attrs})
	return outs
}

// exported adds an initializer the exporter creates (not a state-dict
// entry), named prefix_N with N counting such initializers from 1.
func (b *builder) exported(prefix string, t *tensor.Tensor) string {
	name := unique(b.scopeUses, prefix)
	b.named = append(b.named, &onnx.Initializer{Name: name, Tensor: t})
	b.shapes[name] = t.Shape
	return name
}

// constant emits a Constant node holding t.
func (b *builder) constant(scope string, t *tensor.Tensor) string {
	return b.node(scope, "Constant", nil, t.Shape, tensorAttr("value", t))
}

func int64s(v ...int64) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }

// transpose emits a Transpose by perm.
func (b *builder) transpose(scope, x string, perm ...int) string {
	s := b.shapes[x]
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = s[p]
	}
	return b.node(scope, "Transpose", []string{x}, out, ints("perm", perm...))
}

// reshape emits a Reshape to a constant shape.
func (b *builder) reshape(scope, x string, shape ...int) string {
	v := make([]int64, len(shape))
	for i, d := range shape {
		v[i] = int64(d)
	}
	return b.node(scope, "Reshape", []string{x, b.constant(scope, int64s(v...))}, shape)
}

// reduceMean emits a ReduceMean over one axis, its axes an attribute
// before opset 18 and an input from 18 on.
func (b *builder) reduceMean(scope, x string, axis int, keep bool) string {
	s := b.shapes[x]
	a := axis
	if a < 0 {
		a += len(s)
	}
	var out []int
	for i, d := range s {
		switch {
		case i != a:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	k := int64(0)
	if keep {
		k = 1
	}
	if b.opset >= 18 {
		return b.node(scope, "ReduceMean", []string{x, b.constant(scope, int64s(int64(axis)))}, out, intAttr("keepdims", k))
	}
	return b.node(scope, "ReduceMean", []string{x}, out, ints("axes", axis), intAttr("keepdims", k))
}

// linearND emits an nn.Linear on the last axis of a rank > 2 value: MatMul
// with the transposed weight (a folded initializer) and Add of the bias.
func (b *builder) linearND(scope, param, x string, out int, gain float64) string {
	s := b.shapes[x]
	in := s[len(s)-1]
	// The exporter stores weight.T under a generated name.
	wt := b.random(gain/math.Sqrt(float64(in)), in, out)
	w := b.exported("onnx::MatMul", wt)
	b.stateDict++ // the module's weight
	bias := b.param(param+".bias", b.random(biasStd, out))
	shape := append(append([]int{}, s[:len(s)-1]...), out)
	y := b.node(scope, "MatMul", []string{x, w}, shape)
	return b.node(scope, "Add", []string{bias, y}, shape)
}

// layerNorm emits nn.LayerNorm(d) over the last axis.
func (b *builder) layerNorm(scope, param, x string) string {
	s := b.shapes[x]
	d := s[len(s)-1]
	ones := tensor.New(tensor.Float32, d)
	for i := range ones.Float32s() {
		ones.Float32s()[i] = 1
	}
	w := b.param(param+".weight", ones)
	bias := b.param(param+".bias", tensor.New(tensor.Float32, d))
	if b.opset >= 17 {
		return b.node(scope, "LayerNormalization", []string{x, w, bias}, s, intAttr("axis", -1), floatAttr("epsilon", 1e-5))
	}
	mean := b.reduceMean(scope, x, -1, true)
	c := b.node(scope, "Sub", []string{x, mean}, s)
	two := b.constant(scope, tensor.MustFromSlice([]float32{2}))
	sq := b.node(scope, "Pow", []string{c, two}, s)
	v := b.reduceMean(scope, sq, -1, true)
	eps := b.constant(scope, tensor.MustFromSlice([]float32{1e-5}))
	ve := b.node(scope, "Add", []string{v, eps}, b.shapes[v])
	sd := b.node(scope, "Sqrt", []string{ve}, b.shapes[v])
	n := b.node(scope, "Div", []string{c, sd}, s)
	m := b.node(scope, "Mul", []string{n, w}, s)
	return b.node(scope, "Add", []string{m, bias}, s)
}

// buildLSTMKWS is the keyword spotter: [B, 49, 40] -> [B, 12].
func buildLSTMKWS(b *builder, x string) string {
	s := b.shape(x, 3)
	batch := s[0]
	xt := b.transpose("/lstm", x, 1, 0, 2)
	std := 1 / math.Sqrt(kwsHidden)
	w := b.param("onnx::LSTM_W", b.random(std, 1, 4*kwsHidden, kwsFeatures))
	r := b.param("onnx::LSTM_R", b.random(std, 1, 4*kwsHidden, kwsHidden))
	bias := b.param("onnx::LSTM_B", b.random(std, 1, 8*kwsHidden))
	b.stateDict++ // the module's 4 tensors are packed into these 3
	outs := b.nodeN("/lstm", "LSTM", []string{xt, w, r, bias},
		[][]int{{kwsFrames, 1, batch, kwsHidden}, {1, batch, kwsHidden}, {1, batch, kwsHidden}},
		intAttr("hidden_size", kwsHidden))
	axes := b.constant("/lstm", int64s(1))
	y := b.node("/lstm", "Squeeze", []string{outs[0], axes}, []int{kwsFrames, batch, kwsHidden})
	yb := b.transpose("/lstm", y, 1, 0, 2)
	minus1 := tensor.New(tensor.Int64) // x[:, -1]
	minus1.Int64s()[0] = -1
	last := b.constant("", minus1)
	h := b.node("", "Gather", []string{yb, last}, []int{batch, kwsHidden}, intAttr("axis", 1))
	return b.linear("/fc", "fc", h, kwsClasses, gainLinear)
}

// buildTransformerEncoder is [B, 16, 64] embeddings -> [B, 10].
func buildTransformerEncoder(b *builder, x string) string {
	s := b.shape(x, 3)
	batch := s[0]
	hd := encModel / encHeads
	for l := 0; l < encLayers; l++ {
		p := "transformer_encoder.layers." + string(rune('0'+l))
		sc := "/transformer_encoder/layers." + string(rune('0'+l))
		// Self-attention: one packed projection, split into q, k, v.
		qkv := b.linearND(sc+"/self_attn", p+".self_attn.in_proj", x, 3*encModel, gainLinear)
		split := b.constant(sc+"/self_attn", int64s(encModel, encModel, encModel))
		parts := b.nodeN(sc+"/self_attn", "Split", []string{qkv, split},
			[][]int{{batch, encTokens, encModel}, {batch, encTokens, encModel}, {batch, encTokens, encModel}}, intAttr("axis", -1))
		heads := func(v string, perm ...int) string {
			r := b.reshape(sc+"/self_attn", v, batch, encTokens, encHeads, hd)
			return b.transpose(sc+"/self_attn", r, perm...)
		}
		q := heads(parts[0], 0, 2, 1, 3)
		kT := heads(parts[1], 0, 2, 3, 1)
		v := heads(parts[2], 0, 2, 1, 3)
		scores := b.node(sc+"/self_attn", "MatMul", []string{q, kT}, []int{batch, encHeads, encTokens, encTokens})
		scale := b.constant(sc+"/self_attn", tensor.MustFromSlice([]float32{float32(math.Sqrt(float64(hd)))}))
		scaled := b.node(sc+"/self_attn", "Div", []string{scores, scale}, b.shapes[scores])
		attn := b.node(sc+"/self_attn", "Softmax", []string{scaled}, b.shapes[scores], intAttr("axis", -1))
		ctx := b.node(sc+"/self_attn", "MatMul", []string{attn, v}, []int{batch, encHeads, encTokens, hd})
		ctxT := b.transpose(sc+"/self_attn", ctx, 0, 2, 1, 3)
		merged := b.reshape(sc+"/self_attn", ctxT, batch, encTokens, encModel)
		out := b.linearND(sc+"/self_attn/out_proj", p+".self_attn.out_proj", merged, encModel, gainLinear)
		x = b.layerNorm(sc+"/norm1", p+".norm1", b.node(sc, "Add", []string{x, out}, b.shapes[x]))
		// Feed-forward.
		h := b.node(sc+"/activation", "Relu", []string{b.linearND(sc+"/linear1", p+".linear1", x, encFF, gainReLU)}, []int{batch, encTokens, encFF})
		ff := b.linearND(sc+"/linear2", p+".linear2", h, encModel, gainLinear)
		x = b.layerNorm(sc+"/norm2", p+".norm2", b.node(sc, "Add", []string{x, ff}, b.shapes[x]))
	}
	pooled := b.reduceMean("", x, 1, false)
	return b.linear("/fc", "fc", pooled, encClasses, gainLinear)
}
