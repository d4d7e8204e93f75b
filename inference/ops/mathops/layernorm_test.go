package mathops

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// unfusedNorm runs the operators NormChain stands for one by one, as the
// engine does without fusion (Pow(d, 2) as the engine's rewrite computes
// it: d·d; each constant with the shape given).
func unfusedNorm(t *testing.T, c *NormChain, x *tensor.Tensor, eps, gamma, beta *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	op := func(name string, attrs []onnx.Attribute, in ...*tensor.Tensor) *tensor.Tensor {
		t.Helper()
		out, err := run(t, name, 13, attrs, in...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	axes := []onnx.Attribute{intsAttr("axes", c.Axis)}
	d := op("Sub", nil, x, op("ReduceMean", axes, x))
	sq := tensor.New(tensor.Float32, d.Shape...)
	for i, v := range d.Float32s() {
		sq.Float32s()[i] = v * v
	}
	v := op("Add", nil, op("ReduceMean", axes, sq), eps)
	y := op("Div", nil, d, op("Sqrt", nil, v))
	if gamma != nil {
		y = op("Mul", nil, gamma, y)
	}
	if beta != nil {
		y = op("Add", nil, y, beta)
	}
	return y
}

// TestNormChainBitwise checks NormChain against the unfused operators on
// random rows (counts that are and are not multiples of four, rows long
// enough to be split across goroutines, one-element rows), with and
// without Gamma and Beta.
func TestNormChainBitwise(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	randn := func(scale, shift float64, shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64()*scale + shift)
		}
		return x
	}
	tests := []struct {
		name        string
		shape       []int
		axis        int64
		gamma, beta bool
		scale, mean float64
	}{
		{"convnext rows", []int{1, 14, 14, 96}, -1, true, true, 3, 0.5},
		{"vit rows", []int{1, 197, 768}, 2, true, true, 1, 0},
		{"odd row count", []int{7, 33}, -1, true, false, 100, -20},
		{"no affine", []int{5, 3, 17}, -1, false, false, 1e-3, 1},
		{"beta only", []int{6, 8}, 1, false, true, 1, 0},
		{"one-element rows", []int{9, 1}, -1, true, true, 1, 0},
		{"one row", []int{40}, 0, true, true, 1e4, 0},
		{"many short rows", []int{4099, 5}, -1, true, true, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.shape[len(tc.shape)-1]
			x := randn(tc.scale, tc.mean, tc.shape...)
			c := &NormChain{Axis: tc.axis, Eps: 1e-6, ConstRank: 1}
			eps := tensor.MustFromSlice([]float32{c.Eps})
			var gamma, beta *tensor.Tensor
			if tc.gamma {
				gamma = randn(1, 1, n)
				c.Gamma = gamma.Float32s()
			}
			if tc.beta {
				beta = randn(1, 0, n)
				c.Beta = beta.Float32s()
			}
			outs, err := c.Run([]*tensor.Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			want := unfusedNorm(t, c, x, eps, gamma, beta)
			got := outs[0]
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
			}
			for i, w := range want.Float32s() {
				if g := got.Float32s()[i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("element %d: %v fused, %v unfused", i, g, w)
				}
			}
		})
	}
}

// TestNormChainNotFused checks the runs NormChain refuses, for the engine to
// run the nodes one by one.
func TestNormChainNotFused(t *testing.T) {
	f32 := tensor.New(tensor.Float32, 2, 3, 4)
	tests := []struct {
		name string
		c    NormChain
		x    *tensor.Tensor
	}{
		{"float64", NormChain{Axis: -1}, tensor.New(tensor.Float64, 2, 4)},
		{"float16", NormChain{Axis: -1}, tensor.New(tensor.Float16, 2, 4)},
		{"scalar", NormChain{Axis: -1}, tensor.MustFromSlice([]float32{1})},
		{"not the last axis", NormChain{Axis: 1}, f32},
		{"axis out of range", NormChain{Axis: 3}, f32},
		{"empty rows", NormChain{Axis: -1}, tensor.New(tensor.Float32, 3, 0)},
		{"gamma of another length", NormChain{Axis: -1, Gamma: make([]float32, 3)}, f32},
		{"beta of another length", NormChain{Axis: -1, Beta: make([]float32, 5)}, f32},
		{"constants of a higher rank", NormChain{Axis: -1, ConstRank: 4}, f32},
		{"missing input", NormChain{Axis: -1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.c.Run([]*tensor.Tensor{tc.x}); !errors.Is(err, kernel.ErrNotFused) {
				t.Errorf("Run: %v, want kernel.ErrNotFused", err)
			}
		})
	}
}

func BenchmarkNormChain(b *testing.B) {
	for _, shape := range [][]int{{3136, 96}, {197, 768}, {64, 256}} {
		n := shape[1]
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i%97) * 0.01
		}
		c := &NormChain{Axis: -1, Eps: 1e-6, Gamma: make([]float32, n), Beta: make([]float32, n)}
		b.Run(fmt.Sprint(shape), func(b *testing.B) {
			b.SetBytes(int64(4 * x.Len()))
			for b.Loop() {
				if _, err := c.Run([]*tensor.Tensor{x}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
