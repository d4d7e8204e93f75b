package recurrent

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func TestRNNAffine(t *testing.T) {
	// h_t = x_t + 0.5·h_{t-1}, with the Affine activation as identity.
	x := kt.F32([]int{3, 1, 1}, 1, 2, 3)
	w := kt.F32([]int{1, 1, 1}, 1)
	r := kt.F32([]int{1, 1, 1}, 0.5)
	attrs := []onnx.Attribute{kt.Int("hidden_size", 1), kt.Strings("activations", "Affine"),
		kt.Floats("activation_alpha", 1), kt.Floats("activation_beta", 0)}
	out := kt.Run(t, build(cellRNN), kt.Node("RNN", 3, 2, attrs...), 14, x, w, r)
	kt.Close(t, "Y", out[0], []int{3, 1, 1, 1}, []float64{1, 2.5, 4.25}, 1e-6)
	kt.Close(t, "Y_h", out[1], []int{1, 1, 1}, []float64{4.25}, 1e-6)

	rev := append(attrs, kt.String("direction", "reverse"))
	out = kt.Run(t, build(cellRNN), kt.Node("RNN", 3, 2, rev...), 14, x, w, r)
	kt.Close(t, "reverse Y", out[0], []int{3, 1, 1, 1}, []float64{2.75, 3.5, 3}, 1e-6)
	kt.Close(t, "reverse Y_h", out[1], []int{1, 1, 1}, []float64{2.75}, 1e-6)

	// Two sequences, the second of length 1: its Y is zero past its end and
	// its Y_h is its state after step 0.
	x2 := kt.F32([]int{3, 2, 1}, 1, 10, 2, 20, 3, 30)
	out = kt.Run(t, build(cellRNN), kt.Node("RNN", 5, 2, attrs...), 14, x2, w, r, nil, tensor.MustFromSlice([]int32{3, 1}, 2))
	kt.Close(t, "lens Y", out[0], []int{3, 1, 2, 1}, []float64{1, 10, 2.5, 0, 4.25, 0}, 1e-6)
	kt.Close(t, "lens Y_h", out[1], []int{1, 2, 1}, []float64{4.25, 10}, 1e-6)
}

func sig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestLSTMStep(t *testing.T) {
	// Zero weights; bias 1 on the cell gate (blocks i, o, f, c); c0 = 1.
	zero := kt.F32([]int{1, 4, 1}, 0, 0, 0, 0)
	b := kt.F32([]int{1, 8}, 0, 0, 0, 1, 0, 0, 0, 0)
	c0 := kt.F32([]int{1, 1, 1}, 1)
	x := kt.F32([]int{1, 1, 1}, 0)
	out := kt.Run(t, build(cellLSTM), kt.Node("LSTM", 7, 3, kt.Int("hidden_size", 1)), 14, x, zero, zero, b, nil, nil, c0)
	c := 0.5*1 + 0.5*math.Tanh(1)
	kt.Close(t, "Y_c", out[2], []int{1, 1, 1}, []float64{c}, 1e-6)
	kt.Close(t, "Y_h", out[1], []int{1, 1, 1}, []float64{0.5 * math.Tanh(c)}, 1e-6)
	// A peephole on the input gate (P = [pi, po, pf]) sees c0.
	p := kt.F32([]int{1, 3}, 2, 0, 0)
	out = kt.Run(t, build(cellLSTM), kt.Node("LSTM", 8, 3, kt.Int("hidden_size", 1)), 14, x, zero, zero, b, nil, nil, c0, p)
	c = 0.5 + sig(2)*math.Tanh(1)
	kt.Close(t, "peephole Y_c", out[2], []int{1, 1, 1}, []float64{c}, 1e-6)
}

func TestGRUStep(t *testing.T) {
	zero := kt.F32([]int{1, 3, 1}, 0, 0, 0)
	// Rbh = 1 (blocks z, r, h; W biases first).
	b := kt.F32([]int{1, 6}, 0, 0, 0, 0, 0, 1)
	h0 := kt.F32([]int{1, 1, 1}, 2)
	x := kt.F32([]int{1, 1, 1}, 0)
	for _, tc := range []struct {
		lbr  int64
		want float64
	}{{0, 0.5*math.Tanh(1) + 1}, {1, 0.5*math.Tanh(0.5) + 1}} {
		n := kt.Node("GRU", 6, 2, kt.Int("hidden_size", 1), kt.Int("linear_before_reset", tc.lbr))
		out := kt.Run(t, build(cellGRU), n, 14, x, zero, zero, b, nil, h0)
		kt.Close(t, "Y_h", out[1], []int{1, 1, 1}, []float64{tc.want}, 1e-6)
	}
}

func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(r.NormFloat64() * 0.5)
	}
	return t
}

// reverseTime flips axis 0 of a (seq, ...) tensor.
func reverseTime(x *tensor.Tensor) *tensor.Tensor {
	out := x.Clone()
	step := x.Len() / x.Shape[0]
	for s := 0; s < x.Shape[0]; s++ {
		copy(out.Float32s()[s*step:(s+1)*step], x.Float32s()[(x.Shape[0]-1-s)*step:])
	}
	return out
}

// TestBidirectional checks, for every cell, that the backward half of a
// bidirectional layer equals a forward layer (with the backward weights) run
// on the time-reversed input, and that layout 1 transposes the same result.
func TestBidirectional(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const seq, batch, in, hid = 4, 2, 3, 2
	for _, tc := range []struct {
		op   string
		kind cellKind
	}{{"RNN", cellRNN}, {"GRU", cellGRU}, {"LSTM", cellLSTM}} {
		t.Run(tc.op, func(t *testing.T) {
			g := tc.kind.gates()
			x := randT(r, seq, batch, in)
			w, rr, b := randT(r, 2, g*hid, in), randT(r, 2, g*hid, hid), randT(r, 2, 2*g*hid)
			bi := kt.Run(t, build(tc.kind), kt.Node(tc.op, 4, 2, kt.Int("hidden_size", hid), kt.String("direction", "bidirectional")), 14, x, w, rr, b)
			half := func(t2 *tensor.Tensor) *tensor.Tensor { // direction 1 of (2, ...)
				n := t2.Len() / 2
				out, _ := tensor.FromSlice(append([]float32{}, t2.Float32s()[n:]...), append([]int{1}, t2.Shape[1:]...)...)
				return out
			}
			fw := kt.Run(t, build(tc.kind), kt.Node(tc.op, 4, 2, kt.Int("hidden_size", hid)), 14, reverseTime(x), half(w), half(rr), half(b))
			bv, _ := kernel.Floats(bi[0]) // (seq, 2, batch, hid)
			fv, _ := kernel.Floats(fw[0]) // (seq, 1, batch, hid)
			for s := 0; s < seq; s++ {
				for j := 0; j < batch*hid; j++ {
					got := bv[(s*2+1)*batch*hid+j]
					want := fv[(seq-1-s)*batch*hid+j]
					if math.Abs(got-want) > 1e-6 {
						t.Fatalf("step %d unit %d: backward %g, reversed forward %g", s, j, got, want)
					}
				}
			}
			// layout = 1: X is (batch, seq, in), Y is (batch, seq, dirs, hid).
			xb := tensor.New(tensor.Float32, batch, seq, in)
			for s := 0; s < seq; s++ {
				for bb := 0; bb < batch; bb++ {
					copy(xb.Float32s()[(bb*seq+s)*in:][:in], x.Float32s()[(s*batch+bb)*in:])
				}
			}
			lb := kt.Run(t, build(tc.kind), kt.Node(tc.op, 4, 2, kt.Int("hidden_size", hid), kt.String("direction", "bidirectional"), kt.Int("layout", 1)), 14, xb, w, rr, b)
			lv, _ := kernel.Floats(lb[0])
			for s := 0; s < seq; s++ {
				for d := 0; d < 2; d++ {
					for bb := 0; bb < batch; bb++ {
						for h := 0; h < hid; h++ {
							if lv[((bb*seq+s)*2+d)*hid+h] != bv[((s*2+d)*batch+bb)*hid+h] {
								t.Fatalf("layout 1 differs at step %d dir %d batch %d", s, d, bb)
							}
						}
					}
				}
			}
		})
	}
}
