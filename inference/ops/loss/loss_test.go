package loss

import (
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func TestNegativeLogLikelihoodLoss(t *testing.T) {
	// x is (N=2, C=3); targets 2 and 0.
	x := kt.F32([]int{2, 3}, -1, -2, -3, -4, -5, -6)
	target := kt.I64([]int{2}, 2, 0)
	w := kt.F32([]int{3}, 0.5, 1, 2)
	tests := []struct {
		name   string
		attrs  []onnx.Attribute
		weight *tensor.Tensor
		shape  []int
		want   []float64
	}{
		{"none", []onnx.Attribute{kt.String("reduction", "none")}, nil, []int{2}, []float64{3, 4}},
		{"sum", []onnx.Attribute{kt.String("reduction", "sum")}, nil, nil, []float64{7}},
		{"mean", nil, nil, nil, []float64{3.5}},
		// Weighted mean divides by the weights used: (3·2 + 4·0.5) / 2.5.
		{"weighted mean", nil, w, nil, []float64{8 / 2.5}},
		// Ignoring target 0 leaves one case.
		{"ignore", []onnx.Attribute{kt.Int("ignore_index", 0)}, nil, nil, []float64{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := kt.Node("NegativeLogLikelihoodLoss", 3, 1, tc.attrs...)
			out := kt.Run(t, buildNLL(false), n, 13, x, target, tc.weight)
			kt.Close(t, "loss", out[0], tc.shape, tc.want, 1e-6)
		})
	}
}

func TestSoftmaxCrossEntropyLoss(t *testing.T) {
	// Equal scores: every class has probability 1/3.
	x := kt.F32([]int{1, 3, 2}, 1, 5, 1, 5, 1, 5)
	target := kt.I64([]int{1, 2}, 0, 2)
	n := kt.Node("SoftmaxCrossEntropyLoss", 2, 2, kt.String("reduction", "none"))
	out := kt.Run(t, buildNLL(true), n, 13, x, target)
	l3 := math.Log(3)
	kt.Close(t, "loss", out[0], []int{1, 2}, []float64{l3, l3}, 1e-6)
	kt.Close(t, "log_prob", out[1], []int{1, 3, 2}, []float64{-l3, -l3, -l3, -l3, -l3, -l3}, 1e-6)
}

func TestLossErrors(t *testing.T) {
	x := kt.F32([]int{1, 2}, 0, 0)
	if _, err := kt.RunErr(buildNLL(false), kt.Node("NegativeLogLikelihoodLoss", 2, 1), 13, x, kt.I64([]int{1}, 5)); err == nil {
		t.Error("target 5 of 2 classes was accepted")
	}
	if _, err := buildNLL(false)(kt.Node("NegativeLogLikelihoodLoss", 2, 1, kt.String("reduction", "max")), 13, nil); err == nil {
		t.Error("reduction max was accepted")
	}
}
