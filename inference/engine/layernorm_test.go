package engine_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// lnGraph is LayerNorm over x as torch.onnx.export writes it below opset 17
// (nine nodes; without the Mul and final Add unless gamma and beta are
// named), with the ReduceMeans' axes attribute set to axes, ending in y.
type lnGraph struct {
	axes             []int64
	eps, gamma, beta string
	pow              string // the exponent's name: "two" unless set
	reversedSub      bool   // Sub(m, x) instead of Sub(x, m)
	extraOut         string // another node reads this intermediate
	opset18          bool
}

func (g lnGraph) nodes() []*onnx.Node {
	mean := func(in, out string) *onnx.Node {
		n := node("ReduceMean", []string{in}, out)
		if g.opset18 {
			n.Inputs = append(n.Inputs, "axes")
		} else {
			n.Attrs = append(n.Attrs, onnx.Attribute{Name: "axes", Type: onnx.AttrInts, Ints: g.axes})
		}
		return n
	}
	sub := []string{"x", "m"}
	if g.reversedSub {
		sub = []string{"m", "x"}
	}
	pow := g.pow
	if pow == "" {
		pow = "two"
	}
	ns := []*onnx.Node{
		mean("x", "m"), node("Sub", sub, "d"), node("Pow", []string{"d", pow}, "p"), mean("p", "v"),
		node("Add", []string{"v", g.eps}, "e"), node("Sqrt", []string{"e"}, "s"), node("Div", []string{"d", "s"}, "q"),
	}
	y := "q"
	if g.gamma != "" {
		ns = append(ns, node("Mul", []string{g.gamma, y}, "r"))
		y = "r"
	}
	if g.beta != "" {
		ns = append(ns, node("Add", []string{y, g.beta}, "y"))
		y = "y"
	}
	if y != "y" {
		ns = append(ns, node("Identity", []string{y}, "y"))
	}
	if g.extraOut != "" {
		ns = append(ns, node("Neg", []string{g.extraOut}, "extra"))
	}
	return ns
}

// TestFusedLayerNormBitwise runs decomposed LayerNorms that fuse into one
// step and variants that must not fuse (or fall back at run time), and
// checks that the fused program gives exactly the unfused bits.
func TestFusedLayerNormBitwise(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	c := func(name string, v ...float32) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: tensor.MustFromSlice(v, len(v))}
	}
	scalar := func(name string, v float32) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: tensor.MustFromSlice([]float32{v})}
	}
	row := func(name string, n int) *onnx.Initializer {
		return &onnx.Initializer{Name: name, Tensor: randTensor(r, n)}
	}
	gamma, beta, gamma5 := row("gamma", 16), row("beta", 16), row("gamma5", 5)
	nan := c("nan", append(make([]float32, 15), float32(math.NaN()))...)
	eps, two, three := scalar("eps", 1e-6), scalar("two", 2), scalar("three", 3)
	eps4 := &onnx.Initializer{Name: "eps4", Tensor: tensor.MustFromSlice([]float32{1e-5}, 1, 1, 1, 1)}
	axes := &onnx.Initializer{Name: "axes", Tensor: tensor.MustFromSlice([]int64{-1}, 1)}
	consts := []*onnx.Initializer{gamma, beta, gamma5, nan, eps, eps4, two, three}
	x := func() map[string]*tensor.Tensor {
		t := randTensor(r, 2, 5, 16)
		for i := range t.Float32s() {
			t.Float32s()[i] = t.Float32s()[i]*3 + 1
		}
		return map[string]*tensor.Tensor{"x": t}
	}
	xIn := []onnx.ValueInfo{{Name: "x"}}
	lnModel := func(g lnGraph, in []onnx.ValueInfo, out ...string) *onnx.Model {
		return model(g.nodes(), consts, in, append([]string{"y"}, out...)...)
	}
	last := []int64{-1}
	// Steps count the Identity that names the output when the pattern
	// ends before its final Add.
	tests := []fusedCase{
		{"full", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta"}, xIn), x(), 1},
		{"positive last axis", lnModel(lnGraph{axes: []int64{2}, eps: "eps", gamma: "gamma", beta: "beta"}, xIn), x(), 1},
		{"no affine", lnModel(lnGraph{axes: last, eps: "eps"}, xIn), x(), 2},
		{"gamma only", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma"}, xIn), x(), 2},
		{"beta only", lnModel(lnGraph{axes: last, eps: "eps", beta: "beta"}, xIn), x(), 1},
		{"x read elsewhere", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", extraOut: "x"}, xIn, "extra"), x(), 2},
		{"x a graph output", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta"}, xIn, "x"), x(), 1},
		{"NaN gamma is not fused", lnModel(lnGraph{axes: last, eps: "eps", gamma: "nan", beta: "beta"}, xIn), x(), 3},
		// Fused at compile time, refused at run time (the axis or the
		// output's rank is known only then): the nodes run one by one.
		{"other axis falls back", lnModel(lnGraph{axes: []int64{1}, eps: "eps", gamma: "gamma5"}, xIn), map[string]*tensor.Tensor{"x": randTensor(r, 2, 16, 5)}, 2},
		{"eps of a higher rank falls back", lnModel(lnGraph{axes: last, eps: "eps4", gamma: "gamma", beta: "beta"}, xIn), x(), 1},
		{"non-constant eps", lnModel(lnGraph{axes: last, eps: "epsIn", gamma: "gamma", beta: "beta"}, []onnx.ValueInfo{{Name: "x"}, {Name: "epsIn"}}),
			map[string]*tensor.Tensor{"x": x()["x"], "epsIn": tensor.MustFromSlice([]float32{1e-6})}, 9},
		{"Pow 3", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", pow: "three"}, xIn), x(), 9},
		{"Sub(m, x)", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", reversedSub: true}, xIn), x(), 9},
		{"two axes", lnModel(lnGraph{axes: []int64{1, 2}, eps: "eps", gamma: "gamma", beta: "beta"}, xIn), x(), 9},
		{"mean read elsewhere", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", extraOut: "m"}, xIn, "extra"), x(), 10},
		{"centred x read elsewhere", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", extraOut: "d"}, xIn, "extra"), x(), 10},
		{"variance read elsewhere", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", extraOut: "v"}, xIn, "extra"), x(), 10},
		{"root a graph output", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta"}, xIn, "s"), x(), 9},
		{"normalised x read elsewhere", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta", extraOut: "q"}, xIn, "extra"), x(), 4},
		{"scaled x a graph output", lnModel(lnGraph{axes: last, eps: "eps", gamma: "gamma", beta: "beta"}, xIn, "r"), x(), 2},
	}
	opset18 := lnModel(lnGraph{eps: "eps", gamma: "gamma", beta: "beta", opset18: true}, xIn)
	opset18.Graph.Initializers = append(opset18.Graph.Initializers, axes)
	opset18.OpsetImports[0].Version = 18
	tests = append(tests, fusedCase{"opset 18 axes input", opset18, x(), 1})
	checkFused(t, tests)
}
