package mathops

import (
	"math"
	"math/rand"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// TestRunReusing checks that Add, Sub, Mul, Div and NormChain computed
// into a spare input give Run's bits, and reuse exactly the spare inputs
// of the output's dtype and shape.
func TestRunReusing(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	randn := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64())
		}
		return x
	}
	half := tensor.New(tensor.Float16, 3, 4)
	tests := []struct {
		name   string
		op     string
		a, b   *tensor.Tensor
		spare  []bool
		reuses int // the input whose memory the output holds, or -1
	}{
		{"add into a", "Add", randn(3, 4), randn(3, 4), []bool{true, false}, 0},
		{"sub into b", "Sub", randn(3, 4), randn(3, 4), []bool{false, true}, 1},
		{"div into b, a broadcast", "Div", randn(4), randn(2, 3, 4), []bool{true, true}, 1},
		{"mul, spare a broadcast", "Mul", randn(1, 4), randn(3, 4), []bool{true, false}, -1},
		{"nothing spare", "Add", randn(3, 4), randn(3, 4), []bool{false, false}, -1},
		{"float16", "Add", half, half.Clone(), []bool{true, true}, -1},
		{"norm chain", "NormChain", randn(5, 8), nil, []bool{true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var k kernel.Reuser
			inputs := []*tensor.Tensor{tc.a, tc.b}
			if tc.op == "NormChain" {
				k, inputs = &NormChain{Axis: -1, Eps: 1e-5}, inputs[:1]
			} else {
				b, err := builders(t)[tc.op](&onnx.Node{OpType: tc.op}, 14, nil)
				if err != nil {
					t.Fatal(err)
				}
				k = b.(kernel.Reuser)
			}
			want, err := k.(kernel.Kernel).Run(inputs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.RunReusing(inputs, tc.spare)
			if err != nil {
				t.Fatal(err)
			}
			reused := -1
			for i, in := range inputs {
				if in.Len() > 0 && sameMemory(in, got[0]) {
					reused = i
				}
			}
			if reused != tc.reuses {
				t.Errorf("output holds the memory of input %d, want %d", reused, tc.reuses)
			}
			if tc.a.DType == tensor.Float16 {
				return
			}
			for i, w := range want[0].Float32s() {
				if g := got[0].Float32s()[i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("element %d: %v in place, %v from Run", i, g, w)
				}
			}
		})
	}
}

func sameMemory(a, b *tensor.Tensor) bool {
	switch d := a.Data.(type) {
	case []float32:
		e, ok := b.Data.([]float32)
		return ok && len(e) > 0 && &d[0] == &e[0]
	case []uint16:
		e, ok := b.Data.([]uint16)
		return ok && len(e) > 0 && &d[0] == &e[0]
	}
	return false
}
