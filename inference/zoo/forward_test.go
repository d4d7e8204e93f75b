package zoo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// A naive float32 NCHW interpreter for the operators of the zoo, written
// for this test only (the engine is elsewhere): it runs the generated
// networks to check that their random weights keep activations sane.

// value is a float32 tensor of the interpreter.
type value struct {
	shape []int
	data  []float32
}

// forward runs g on the input and returns every value by name.
func forward(g *onnx.Graph, input value) (map[string]value, error) {
	vals := map[string]value{g.Inputs[0].Name: input}
	for _, in := range g.Initializers {
		vals[in.Name] = value{in.Tensor.Shape, in.Tensor.Float32s()}
	}
	for _, n := range g.Nodes {
		in := make([]value, len(n.Inputs))
		for i, name := range n.Inputs {
			v, ok := vals[name]
			if !ok {
				return nil, fmt.Errorf("node %s: missing %q", n.Name, name)
			}
			in[i] = v
		}
		out, err := run(n, in)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		vals[n.Outputs[0]] = out
	}
	return vals, nil
}

func run(n *onnx.Node, in []value) (value, error) {
	ints := func(name string) []int {
		v, _ := n.AttrInts(name, nil)
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out
	}
	switch n.OpType {
	case "Constant":
		t, err := n.AttrTensor("value")
		if err != nil || t == nil {
			return value{}, fmt.Errorf("constant without value: %v", err)
		}
		return value{t.Shape, t.Float32s()}, nil
	case "Conv":
		group, _ := n.AttrInt("group", 1)
		return conv2d(in[0], in[1], in[2], ints("strides")[0], ints("pads")[0], int(group)), nil
	case "Relu":
		return mapValues(in[0], func(v float32) float32 { return max(v, 0) }), nil
	case "Clip":
		lo, hi := in[1].data[0], in[2].data[0]
		return mapValues(in[0], func(v float32) float32 { return min(max(v, lo), hi) }), nil
	case "MaxPool":
		ceil, _ := n.AttrInt("ceil_mode", 0)
		return pool2d(in[0], ints("kernel_shape")[0], ints("strides")[0], ints("pads")[0], ceil == 1, true), nil
	case "AveragePool":
		return pool2d(in[0], ints("kernel_shape")[0], ints("strides")[0], 0, false, false), nil
	case "GlobalAveragePool":
		s := in[0].shape
		return pool2d(in[0], s[2], 1, 0, false, false), nil
	case "Flatten":
		s := in[0].shape
		return value{[]int{s[0], tensor.NumElements(s[1:])}, in[0].data}, nil
	case "Gemm":
		return gemmTransB(in[0], in[1], in[2]), nil
	case "Add":
		out := value{in[0].shape, make([]float32, len(in[0].data))}
		for i := range out.data {
			out.data[i] = in[0].data[i] + in[1].data[i]
		}
		return out, nil
	case "Concat":
		return concatChannels(in), nil
	}
	return value{}, fmt.Errorf("operator %s not in the test interpreter", n.OpType)
}

func mapValues(x value, f func(float32) float32) value {
	out := value{x.shape, make([]float32, len(x.data))}
	for i, v := range x.data {
		out.data[i] = f(v)
	}
	return out
}

// conv2d is a square-kernel convolution with symmetric padding.
func conv2d(x, w, b value, stride, pad, group int) value {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	m, cg, k := w.shape[0], w.shape[1], w.shape[2]
	oh, ow := (h+2*pad-k)/stride+1, (wd+2*pad-k)/stride+1
	out := value{[]int{n, m, oh, ow}, make([]float32, n*m*oh*ow)}
	mg := m / group
	for b0 := range n {
		for oc := range m {
			o := out.data[(b0*m+oc)*oh*ow : (b0*m+oc+1)*oh*ow]
			for i := range o {
				o[i] = b.data[oc]
			}
			g := oc / mg
			for ci := range cg {
				plane := x.data[(b0*c+g*cg+ci)*h*wd : (b0*c+g*cg+ci+1)*h*wd]
				for kh := range k {
					for kw := range k {
						wv := w.data[((oc*cg+ci)*k+kh)*k+kw]
						// Output columns whose input column is inside.
						lo := max(0, (pad-kw+stride-1)/stride)
						hi := min(ow, (wd-1+pad-kw)/stride+1)
						for y := range oh {
							iy := y*stride - pad + kh
							if iy < 0 || iy >= h {
								continue
							}
							row, orow := plane[iy*wd:(iy+1)*wd], o[y*ow:(y+1)*ow]
							for xo := lo; xo < hi; xo++ {
								orow[xo] += wv * row[xo*stride-pad+kw]
							}
						}
					}
				}
			}
		}
	}
	return out
}

// pool2d is a square max or average pool (average over the window cells
// inside the input; the zoo only averages without padding).
func pool2d(x value, k, stride, pad int, ceil, isMax bool) value {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	size := func(d int) int {
		span := d + 2*pad - k
		o := span/stride + 1
		if ceil && span%stride != 0 {
			o++
			if (o-1)*stride >= d+pad {
				o--
			}
		}
		return o
	}
	oh, ow := size(h), size(w)
	out := value{[]int{n, c, oh, ow}, make([]float32, n*c*oh*ow)}
	for p := range n * c {
		plane := x.data[p*h*w : (p+1)*h*w]
		for y := range oh {
			for xo := range ow {
				acc, cnt := float32(math.Inf(-1)), 0
				if !isMax {
					acc = 0
				}
				for ky := range k {
					iy := y*stride - pad + ky
					if iy < 0 || iy >= h {
						continue
					}
					for kx := range k {
						ix := xo*stride - pad + kx
						if ix < 0 || ix >= w {
							continue
						}
						v := plane[iy*w+ix]
						if isMax {
							acc = max(acc, v)
						} else {
							acc += v
						}
						cnt++
					}
				}
				if !isMax {
					acc /= float32(cnt)
				}
				out.data[(p*oh+y)*ow+xo] = acc
			}
		}
	}
	return out
}

// gemmTransB is x·wᵀ + b.
func gemmTransB(x, w, b value) value {
	n, k, m := x.shape[0], x.shape[1], w.shape[0]
	out := value{[]int{n, m}, make([]float32, n*m)}
	for i := range n {
		row := x.data[i*k : (i+1)*k]
		for j := range m {
			wr := w.data[j*k : (j+1)*k]
			var s float32
			for l, v := range row {
				s += v * wr[l]
			}
			out.data[i*m+j] = s + b.data[j]
		}
	}
	return out
}

func concatChannels(xs []value) value {
	n, h, w := xs[0].shape[0], xs[0].shape[2], xs[0].shape[3]
	c := 0
	for _, x := range xs {
		c += x.shape[1]
	}
	out := value{[]int{n, c, h, w}, make([]float32, 0, n*c*h*w)}
	for b := range n {
		for _, x := range xs {
			per := x.shape[1] * h * w
			out.data = append(out.data, x.data[b*per:(b+1)*per]...)
		}
	}
	return out
}

// stats returns the mean and standard deviation of v.
func stats(v []float32) (mean, std float64) {
	var s, sq float64
	for _, x := range v {
		s += float64(x)
		sq += float64(x) * float64(x)
	}
	n := float64(len(v))
	mean = s / n
	return mean, math.Sqrt(max(sq/n-mean*mean, 0))
}

func TestInterpreterConv(t *testing.T) {
	// A 1x1x3x3 input, a 2-channel 2x2 kernel with stride 1 and padding 1,
	// worked out by hand.
	x := value{[]int{1, 1, 3, 3}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	w := value{[]int{2, 1, 2, 2}, []float32{1, 0, 0, 0, 0, 0, 0, 1}}
	b := value{[]int{2}, []float32{0, 10}}
	got := conv2d(x, w, b, 2, 1, 1)
	// Channel 0 takes the window's top-left cell, channel 1 its
	// bottom-right; windows start at rows/cols -1 and 1.
	want := []float32{0, 0, 0, 5, 11, 13, 17, 19}
	if !tensor.SameShape(got.shape, []int{1, 2, 2, 2}) {
		t.Fatalf("shape %v", got.shape)
	}
	for i := range want {
		if got.data[i] != want[i] {
			t.Fatalf("conv = %v, want %v", got.data, want)
		}
	}
	p := pool2d(x, 2, 2, 0, true, true)
	if !tensor.SameShape(p.shape, []int{1, 1, 2, 2}) || p.data[0] != 5 || p.data[1] != 6 || p.data[2] != 8 || p.data[3] != 9 {
		t.Fatalf("ceil max pool = %v %v", p.shape, p.data)
	}
}

// TestActivations runs every model on a standard normal input and checks
// that each node's output stays finite with a root mean square of order one
// and that the logits differ. The interpreter needs seconds per GMAC:
// resnet18 is skipped with -short, vgg16 (15.5 GMAC) and resnet50 run only
// with ZOO_FULL=1.
func TestActivations(t *testing.T) {
	full := os.Getenv("ZOO_FULL") == "1"
	for _, w := range wants() {
		t.Run(w.arch, func(t *testing.T) {
			switch w.arch {
			case "lstm_kws", "transformer_encoder":
				t.Skip("the test interpreter covers the CNN operators; TestSequenceModelsRun runs this model")
			case "vgg16", "resnet50":
				if !full {
					t.Skip("slow in the test interpreter; set ZOO_FULL=1")
				}
			case "resnet18":
				if testing.Short() {
					t.Skip("slow in the test interpreter")
				}
			}
			m, err := Generate(w.arch, Options{Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			in := value{w.input, make([]float32, tensor.NumElements(w.input))}
			for i := range in.data {
				in.data[i] = float32(rng.NormFloat64())
			}
			vals, err := forward(m.Graph, in)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := math.Inf(1), 0.0
			for _, n := range m.Graph.Nodes {
				v := vals[n.Outputs[0]]
				var sq float64
				for _, x := range v.data {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("%s: non-finite output", n.Name)
					}
					sq += float64(x) * float64(x)
				}
				rms := math.Sqrt(sq / float64(len(v.data)))
				if n.OpType != "Constant" {
					lo, hi = min(lo, rms), max(hi, rms)
				}
			}
			out := vals["output"]
			mean, std := stats(out.data)
			t.Logf("%s: node output rms in [%.3g, %.3g]; logits mean %.3g std %.3g", w.arch, lo, hi, mean, std)
			if !tensor.SameShape(out.shape, w.output) {
				t.Errorf("output shape %v, want %v", out.shape, w.output)
			}
			if lo < 0.05 || hi > 20 {
				t.Errorf("node output rms in [%g, %g], want within [0.05, 20]", lo, hi)
			}
			if std < 0.05 || std > 20 {
				t.Errorf("logits std %g, want within [0.05, 20]", std)
			}
		})
	}
}
