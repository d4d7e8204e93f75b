package logic

import (
	"math"
	"testing"

	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func bools(t *testing.T, got *tensor.Tensor, shape []int, want ...bool) {
	t.Helper()
	if got.DType != tensor.Bool || !tensor.SameShape(got.Shape, shape) {
		t.Fatalf("got %s%v, want bool%v", got.DType, got.Shape, shape)
	}
	for i, w := range want {
		if got.Bools()[i] != w {
			t.Fatalf("element %d is %v, want %v (all %v)", i, got.Bools()[i], w, got.Bools())
		}
	}
}

func TestBooleanOps(t *testing.T) {
	a := tensor.MustFromSlice([]bool{false, true, false, true}, 2, 2)
	b := tensor.MustFromSlice([]bool{false, true}, 2) // broadcast over rows
	tests := []struct {
		op   string
		want []bool
	}{
		{"And", []bool{false, true, false, true}},
		{"Or", []bool{false, true, false, true}},
		{"Xor", []bool{false, false, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			f := map[string]func(bool, bool) bool{
				"And": func(x, y bool) bool { return x && y },
				"Or":  func(x, y bool) bool { return x || y },
				"Xor": func(x, y bool) bool { return x != y },
			}[tc.op]
			out := kt.Run(t, buildBool(f), kt.Node(tc.op, 2, 1), 7, a, b)
			bools(t, out[0], []int{2, 2}, tc.want...)
		})
	}
	c := tensor.MustFromSlice([]bool{true, false}, 2, 1) // broadcast over columns
	out := kt.Run(t, buildBool(func(x, y bool) bool { return x != y }), kt.Node("Xor", 2, 1), 7, a, c)
	bools(t, out[0], []int{2, 2}, true, false, false, true)
	out = kt.Run(t, buildNot, kt.Node("Not", 1, 1), 1, a)
	bools(t, out[0], []int{2, 2}, true, false, true, false)
}

func TestBitShift(t *testing.T) {
	x := tensor.MustFromSlice([]uint8{16, 4, 1}, 3)
	y := tensor.MustFromSlice([]uint8{1, 2, 8}, 3)
	for _, tc := range []struct {
		dir  string
		want []uint8
	}{{"RIGHT", []uint8{8, 1, 0}}, {"LEFT", []uint8{32, 16, 0}}} {
		out := kt.Run(t, buildBitShift, kt.Node("BitShift", 2, 1, kt.String("direction", tc.dir)), 11, x, y)
		for i, w := range tc.want {
			if got := out[0].Data.([]uint8)[i]; got != w {
				t.Errorf("%s: element %d is %d, want %d", tc.dir, i, got, w)
			}
		}
	}
	if _, err := buildBitShift(kt.Node("BitShift", 2, 1, kt.String("direction", "UP")), 11, nil); err == nil {
		t.Error("direction UP was accepted")
	}
}

func TestClassifiers(t *testing.T) {
	inf := float32(math.Inf(1))
	x := kt.F32([]int{4}, -inf, inf, float32(math.NaN()), 1)
	tests := []struct {
		name     string
		neg, pos int64
		want     []bool
	}{
		{"both", 1, 1, []bool{true, true, false, false}},
		{"negative", 1, 0, []bool{true, false, false, false}},
		{"positive", 0, 1, []bool{false, true, false, false}},
	}
	for _, tc := range tests {
		n := kt.Node("IsInf", 1, 1, kt.Int("detect_negative", tc.neg), kt.Int("detect_positive", tc.pos))
		out := kt.Run(t, buildIsInf, n, 10, x)
		bools(t, out[0], []int{4}, tc.want...)
	}
	out := kt.Run(t, buildIsNaN, kt.Node("IsNaN", 1, 1), 13, x)
	bools(t, out[0], []int{4}, false, false, true, false)
	out = kt.Run(t, buildSize, kt.Node("Size", 1, 1), 13, kt.F32([]int{2, 3}, 0, 0, 0, 0, 0, 0))
	if out[0].Rank() != 0 || out[0].Int64s()[0] != 6 {
		t.Errorf("Size = %v, want scalar 6", out[0])
	}
}
