package nn

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// batchNormKernel is a compiled BatchNormalization node in inference mode.
type batchNormKernel struct {
	epsilon float64
	// mul and add are precomputed per channel when all four parameters are
	// constants.
	mul, add []float64
}

func buildBatchNormalization(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	tm, err := n.AttrInt("training_mode", 0)
	if err != nil {
		return nil, err
	}
	if tm != 0 {
		return nil, fmt.Errorf("training_mode = %d: papdl runs BatchNormalization in inference mode only", tm)
	}
	if opset < 14 {
		if _, ok := n.Attr("is_test"); ok {
			if v, _ := n.AttrInt("is_test", 0); v == 0 {
				return nil, fmt.Errorf("is_test = 0: papdl runs BatchNormalization in inference mode only")
			}
		}
	}
	outs := 0
	for _, o := range n.Outputs {
		if o != "" {
			outs++
		}
	}
	if outs > 1 || (len(n.Outputs) > 1 && n.Outputs[0] == "") {
		return nil, fmt.Errorf("%d outputs requested: the running mean/variance outputs exist only in training mode, which papdl does not run", len(n.Outputs))
	}
	k := &batchNormKernel{epsilon: float64(eps)}
	if len(consts) >= 5 && consts[1] != nil && consts[2] != nil && consts[3] != nil && consts[4] != nil {
		mul, add, err := bnCoefficients(consts[1:5], k.epsilon)
		if err != nil {
			return nil, err
		}
		k.mul, k.add = mul, add
	}
	return k, nil
}

// bnCoefficients folds scale, B, mean and var into y = x·mul + add:
// mul = scale / sqrt(var + epsilon), add = B - mean·mul.
func bnCoefficients(p []*tensor.Tensor, eps float64) (mul, add []float64, err error) {
	bnNames := [4]string{"scale", "B", "mean", "var"}
	var vals [4][]float64
	for i, t := range p {
		if t == nil {
			return nil, nil, fmt.Errorf("missing input %s", bnNames[i])
		}
		v, err := floatValues(t)
		if err != nil {
			return nil, nil, fmt.Errorf("input %s: %w", bnNames[i], err)
		}
		if i > 0 && len(v) != len(vals[0]) {
			return nil, nil, fmt.Errorf("input %s has %d values, scale has %d", bnNames[i], len(v), len(vals[0]))
		}
		vals[i] = v
	}
	mul = make([]float64, len(vals[0]))
	add = make([]float64, len(vals[0]))
	for c := range mul {
		mul[c] = vals[0][c] / math.Sqrt(vals[3][c]+eps)
		add[c] = vals[1][c] - vals[2][c]*mul[c]
	}
	return mul, add, nil
}

func floatValues(t *tensor.Tensor) ([]float64, error) {
	switch t.DType {
	case tensor.Float32:
		s := t.Float32s()
		out := make([]float64, len(s))
		for i, v := range s {
			out[i] = float64(v)
		}
		return out, nil
	case tensor.Float64:
		return append([]float64{}, t.Float64s()...), nil
	}
	return nil, fmt.Errorf("type %s, want float32 or float64", t.DType)
}

func (k *batchNormKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(inputs, 5); err != nil {
		return nil, err
	}
	x := inputs[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input X has shape %v, want rank >= 2 (N, C, ...)", x.Shape)
	}
	mul, add := k.mul, k.add
	if mul == nil {
		var err error
		if mul, add, err = bnCoefficients(inputs[1:5], k.epsilon); err != nil {
			return nil, err
		}
	}
	c := x.Shape[1]
	inner := tensor.NumElements(x.Shape[2:])
	// Per channel (the usual form), or per channel and position (opset < 9
	// with spatial = 0).
	perElement := false
	switch len(mul) {
	case c:
	case c * inner:
		perElement = true
	default:
		return nil, fmt.Errorf("scale has %d values, want %d (channels of X %v)", len(mul), c, x.Shape)
	}
	y := tensor.New(x.DType, x.Shape...)
	switch x.DType {
	case tensor.Float32:
		batchNorm(y.Float32s(), x.Float32s(), mul, add, c, inner, perElement)
	case tensor.Float64:
		batchNorm(y.Float64s(), x.Float64s(), mul, add, c, inner, perElement)
	default:
		return nil, fmt.Errorf("input X has type %s, want float32 or float64", x.DType)
	}
	return []*tensor.Tensor{y}, nil
}

// batchNorm computes y = x·mul + add with coefficients per channel (or per
// channel and position).
//
// Naive reference: y[n,c,i] = scale[c]·(x[n,c,i]-mean[c])/sqrt(var[c]+eps) + B[c].
func batchNorm[T float32 | float64](y, x []T, mul, add []float64, c, inner int, perElement bool) {
	if c == 0 || inner == 0 {
		return
	}
	planes := len(x) / inner
	for pl := 0; pl < planes; pl++ {
		ch := pl % c
		xs := x[pl*inner : (pl+1)*inner]
		ys := y[pl*inner : (pl+1)*inner]
		if perElement {
			ms := mul[ch*inner : (ch+1)*inner]
			as := add[ch*inner : (ch+1)*inner]
			for i, v := range xs {
				ys[i] = T(float64(v)*ms[i] + as[i])
			}
			continue
		}
		m, a := T(mul[ch]), T(add[ch])
		for i, v := range xs {
			ys[i] = v*m + a
		}
	}
}

// lrnKernel is a compiled LRN node.
type lrnKernel struct {
	size              int
	alpha, beta, bias float64
}

func buildLRN(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	size, err := n.AttrInt("size", 0)
	if err != nil {
		return nil, err
	}
	if size < 1 {
		return nil, fmt.Errorf("size = %d, want a positive window (attribute size is required)", size)
	}
	alpha, err := n.AttrFloat("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.AttrFloat("bias", 1)
	if err != nil {
		return nil, err
	}
	return &lrnKernel{size: int(size), alpha: float64(alpha), beta: float64(beta), bias: float64(bias)}, nil
}

func (k *lrnKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input X has shape %v, want rank >= 2 (N, C, ...)", x.Shape)
	}
	y := tensor.New(x.DType, x.Shape...)
	n, c, inner := x.Shape[0], x.Shape[1], tensor.NumElements(x.Shape[2:])
	switch x.DType {
	case tensor.Float32:
		lrn(y.Float32s(), x.Float32s(), n, c, inner, k)
	case tensor.Float64:
		lrn(y.Float64s(), x.Float64s(), n, c, inner, k)
	default:
		return nil, fmt.Errorf("input X has type %s, want float32 or float64", x.DType)
	}
	return []*tensor.Tensor{y}, nil
}

// lrn normalises across channels.
//
// Naive reference:
//
//	sq = sum_{c' in [c - (size-1)/2, c + ceil((size-1)/2)]} x[n,c',i]^2
//	y[n,c,i] = x[n,c,i] / (bias + alpha/size·sq)^beta
func lrn[T float32 | float64](y, x []T, n, c, inner int, k *lrnKernel) {
	lo := (k.size - 1) / 2
	hi := k.size - 1 - lo
	scale := k.alpha / float64(k.size)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			from, to := max(0, ch-lo), min(c-1, ch+hi)
			ys := y[(b*c+ch)*inner : (b*c+ch+1)*inner]
			xs := x[(b*c+ch)*inner : (b*c+ch+1)*inner]
			for i := range ys {
				var sq float64
				for cc := from; cc <= to; cc++ {
					v := float64(x[(b*c+cc)*inner+i])
					sq += v * v
				}
				ys[i] = T(float64(xs[i]) / math.Pow(k.bias+scale*sq, k.beta))
			}
		}
	}
}
