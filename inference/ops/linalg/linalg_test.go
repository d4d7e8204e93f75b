package linalg

import (
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/ops/kernel"
	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(r.IntN(7) - 3)
	}
	return t
}

func TestEinsum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a, b := randT(r, 2, 3), randT(r, 3, 4)
	av, _ := kernel.Floats(a)
	bv, _ := kernel.Floats(b)
	mm := make([]float64, 8)
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			for k := 0; k < 3; k++ {
				mm[i*4+j] += av[i*3+k] * bv[k*4+j]
			}
		}
	}
	sq := kt.F32([]int{2, 2}, 1, 2, 3, 4)
	tests := []struct {
		eq    string
		in    []*tensor.Tensor
		shape []int
		want  []float64
	}{
		{"ij,jk->ik", []*tensor.Tensor{a, b}, []int{2, 4}, mm},
		{"ij,jk", []*tensor.Tensor{a, b}, []int{2, 4}, mm}, // implicit output
		{"ij->ji", []*tensor.Tensor{sq}, []int{2, 2}, []float64{1, 3, 2, 4}},
		{"ii", []*tensor.Tensor{sq}, nil, []float64{5}},            // trace
		{"ii->i", []*tensor.Tensor{sq}, []int{2}, []float64{1, 4}}, // diagonal
		{"ij->", []*tensor.Tensor{sq}, nil, []float64{10}},
		{"...j,...j->...", []*tensor.Tensor{sq, sq}, []int{2}, []float64{5, 25}},
		{"i,j->ij", []*tensor.Tensor{kt.F32([]int{2}, 1, 2), kt.F32([]int{2}, 3, 4)}, []int{2, 2}, []float64{3, 4, 6, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.eq, func(t *testing.T) {
			out := kt.Run(t, buildEinsum, kt.Node("Einsum", len(tc.in), 1, kt.String("equation", tc.eq)), 12, tc.in...)
			kt.Close(t, tc.eq, out[0], tc.shape, tc.want, 1e-9)
		})
	}
	if _, err := kt.RunErr(buildEinsum, kt.Node("Einsum", 2, 1, kt.String("equation", "ij,jk->ik")), 12, a, a); err == nil {
		t.Error("mismatched contraction sizes were accepted")
	}
}

func TestDet(t *testing.T) {
	x := kt.F32([]int{2, 3, 3}, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1, 0, 1, 0, 0, 0, 0, 1)
	out := kt.Run(t, buildDet, kt.Node("Det", 1, 1), 11, x)
	kt.Close(t, "det", out[0], []int{2}, []float64{24, -1}, 1e-9)
}
