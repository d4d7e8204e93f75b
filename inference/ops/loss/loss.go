// Package loss implements ONNX's two loss operators,
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, as inference
// kernels (forward only). Sums run in float64 in element order, so results
// are the same bits on every run.
package loss

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("NegativeLogLikelihoodLoss", buildNLL(false))
	add("SoftmaxCrossEntropyLoss", buildNLL(true))
}

// lossAttrs are the attributes both operators share.
type lossAttrs struct {
	reduction   string
	ignoreIndex int64
	hasIgnore   bool
}

func readAttrs(n *onnx.Node) (lossAttrs, error) {
	var a lossAttrs
	var err error
	if a.reduction, err = n.AttrString("reduction", "mean"); err != nil {
		return a, err
	}
	switch a.reduction {
	case "mean", "sum", "none":
	default:
		return a, fmt.Errorf("reduction = %q, want mean, sum or none", a.reduction)
	}
	if _, ok := n.Attr("ignore_index"); ok {
		a.hasIgnore = true
		if a.ignoreIndex, err = n.AttrInt("ignore_index", 0); err != nil {
			return a, err
		}
	}
	return a, nil
}

func buildNLL(softmax bool) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		a, err := readAttrs(n)
		if err != nil {
			return nil, err
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			return a.run(in, softmax)
		}), nil
	}
}

// run computes the loss. With softmax, the input holds scores and is first
// turned into log-probabilities along axis 1 (which become output 1).
//
// Naive reference, for input x of shape (N, C, D...) and target t of shape
// (N, D...): loss[n,d] = -x[n, t[n,d], d]·w[t[n,d]] (0 where t[n,d] is
// ignore_index); "mean" divides the sum of losses by the sum of the weights
// used, "sum" sums, "none" returns loss.
func (a lossAttrs) run(in []*tensor.Tensor, softmax bool) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 2); err != nil {
		return nil, err
	}
	x, target := in[0], in[1]
	if !kernel.IsFloat(x.DType) {
		return nil, fmt.Errorf("input has type %s, want a float type", x.DType)
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input has shape %v, want (N, C, ...)", x.Shape)
	}
	nb, c := x.Shape[0], x.Shape[1]
	d := tensor.NumElements(x.Shape[2:])
	wantT := append([]int{nb}, x.Shape[2:]...)
	if !tensor.SameShape(target.Shape, wantT) {
		return nil, fmt.Errorf("target has shape %v, want %v", target.Shape, wantT)
	}
	xs, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	ts, err := kernel.Ints(target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	var weight []float64
	if w := kernel.Input(in, 2); w != nil {
		if w.Rank() != 1 || w.Shape[0] != c {
			return nil, fmt.Errorf("weight has shape %v, want [%d]", w.Shape, c)
		}
		if weight, err = kernel.Floats(w); err != nil {
			return nil, fmt.Errorf("weight: %w", err)
		}
	}
	var logProb []float64
	if softmax {
		logProb = logSoftmax(xs, nb, c, d)
		xs = logProb
	}
	loss := make([]float64, nb*d)
	wsum := 0.0
	for i := 0; i < nb; i++ {
		for j := 0; j < d; j++ {
			t := ts[i*d+j]
			if a.hasIgnore && t == a.ignoreIndex {
				continue
			}
			if t < 0 || t >= int64(c) {
				return nil, fmt.Errorf("target %d out of range [0, %d)", t, c)
			}
			w := 1.0
			if weight != nil {
				w = weight[t]
			}
			loss[i*d+j] = -xs[(i*c+int(t))*d+j] * w
			wsum += w
		}
	}
	var out *tensor.Tensor
	switch a.reduction {
	case "none":
		out, err = kernel.FromFloats(x.DType, wantT, loss)
	default:
		s := 0.0
		for _, v := range loss {
			s += v
		}
		if a.reduction == "mean" {
			if weight != nil || a.hasIgnore {
				s /= wsum
			} else {
				s /= float64(len(loss))
			}
		}
		out, err = kernel.FromFloats(x.DType, nil, []float64{s})
	}
	if err != nil {
		return nil, err
	}
	outs := []*tensor.Tensor{out}
	if softmax {
		lp, err := kernel.FromFloats(x.DType, x.Shape, logProb)
		if err != nil {
			return nil, err
		}
		outs = append(outs, lp)
	}
	return outs, nil
}

// logSoftmax returns log(softmax(x)) along axis 1 of an (nb, c, d) array.
func logSoftmax(x []float64, nb, c, d int) []float64 {
	out := make([]float64, len(x))
	for i := 0; i < nb; i++ {
		for j := 0; j < d; j++ {
			m := math.Inf(-1)
			for k := 0; k < c; k++ {
				m = math.Max(m, x[(i*c+k)*d+j])
			}
			s := 0.0
			for k := 0; k < c; k++ {
				s += math.Exp(x[(i*c+k)*d+j] - m)
			}
			ls := math.Log(s)
			for k := 0; k < c; k++ {
				out[(i*c+k)*d+j] = x[(i*c+k)*d+j] - m - ls
			}
		}
	}
	return out
}
