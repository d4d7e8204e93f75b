package nn

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Normalizations over groups of elements (LayerNormalization,
// GroupNormalization, InstanceNormalization, MeanVarianceNormalization).
// Statistics are computed in float64 in element order, so results are the
// same bits on every run whatever the input type.

// moments returns the mean and the (biased) variance of v.
func moments(v []float64) (mean, variance float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		d := x - mean
		variance += d * d
	}
	return mean, variance / float64(len(v))
}

func buildLayerNormalization(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x := in[0]
		if !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("input X has type %s, want a float type", x.DType)
		}
		ax, err := kernel.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, err
		}
		inner := tensor.NumElements(x.Shape[ax:])
		outer := tensor.NumElements(x.Shape[:ax])
		scale, err := broadcastParam(in[1], x.Shape[ax:], "Scale")
		if err != nil {
			return nil, err
		}
		var bias []float64
		if b := kernel.Input(in, 2); b != nil {
			if bias, err = broadcastParam(b, x.Shape[ax:], "B"); err != nil {
				return nil, err
			}
		}
		xs, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		y := make([]float64, len(xs))
		means := make([]float64, outer)
		inv := make([]float64, outer)
		for o := 0; o < outer; o++ {
			row := xs[o*inner : (o+1)*inner]
			m, v := moments(row)
			is := 1 / math.Sqrt(v+float64(eps))
			means[o], inv[o] = m, is
			for i, e := range row {
				r := (e - m) * is * scale[i]
				if bias != nil {
					r += bias[i]
				}
				y[o*inner+i] = r
			}
		}
		statShape := append([]int{}, x.Shape...)
		for i := ax; i < len(statShape); i++ {
			statShape[i] = 1
		}
		outs := make([]*tensor.Tensor, 3)
		if outs[0], err = kernel.FromFloats(x.DType, x.Shape, y); err != nil {
			return nil, err
		}
		if outs[1], err = kernel.FromFloats(x.DType, statShape, means); err != nil {
			return nil, err
		}
		if outs[2], err = kernel.FromFloats(x.DType, statShape, inv); err != nil {
			return nil, err
		}
		return outs, nil
	}), nil
}

// broadcastParam reads a scale or bias input and broadcasts it
// (unidirectionally) to shape.
func broadcastParam(p *tensor.Tensor, shape []int, what string) ([]float64, error) {
	v, err := kernel.Floats(p)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", what, err)
	}
	got, err := kernel.BroadcastShape(p.Shape, shape)
	if err != nil || !tensor.SameShape(got, shape) {
		return nil, fmt.Errorf("input %s has shape %v, which does not broadcast to %v", what, p.Shape, shape)
	}
	idx := kernel.BroadcastIndex(p.Shape, shape)
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out, nil
}

// groupNorm normalizes x (N, C, spatial...) over groups of channels:
// every (n, group) slab gets its own mean and variance, then channel c is
// scaled by scale[c] and shifted by bias[c].
func groupNorm(x *tensor.Tensor, groups int, scale, bias []float64, eps float64) (*tensor.Tensor, error) {
	if !kernel.IsFloat(x.DType) {
		return nil, fmt.Errorf("input X has type %s, want a float type", x.DType)
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input X has shape %v, want (N, C, ...)", x.Shape)
	}
	c := x.Shape[1]
	if groups < 1 || c%groups != 0 {
		return nil, fmt.Errorf("%d channels do not split into %d groups", c, groups)
	}
	if len(scale) != c || len(bias) != c {
		return nil, fmt.Errorf("scale and bias have %d and %d values, want %d", len(scale), len(bias), c)
	}
	xs, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	inner := tensor.NumElements(x.Shape[2:])
	slab := c / groups * inner
	y := make([]float64, len(xs))
	for s := 0; s*slab < len(xs); s++ {
		row := xs[s*slab : (s+1)*slab]
		m, v := moments(row)
		is := 1 / math.Sqrt(v+eps)
		for i, e := range row {
			ch := (s*slab + i) / inner % c
			y[s*slab+i] = (e-m)*is*scale[ch] + bias[ch]
		}
	}
	return kernel.FromFloats(x.DType, x.Shape, y)
}

func buildInstanceNormalization(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, err
		}
		scale, err := kernel.Floats(in[1])
		if err != nil {
			return nil, fmt.Errorf("input scale: %w", err)
		}
		bias, err := kernel.Floats(in[2])
		if err != nil {
			return nil, fmt.Errorf("input B: %w", err)
		}
		if in[0].Rank() < 2 {
			return nil, fmt.Errorf("input has shape %v, want (N, C, ...)", in[0].Shape)
		}
		y, err := groupNorm(in[0], in[0].Shape[1], scale, bias, float64(eps))
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}), nil
}

func buildGroupNormalization(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	groups, err := n.AttrInt("num_groups", 0)
	if err != nil {
		return nil, err
	}
	if groups < 1 {
		return nil, fmt.Errorf("num_groups = %d, want >= 1 (the attribute is required)", groups)
	}
	g := int(groups)
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input has shape %v, want (N, C, ...)", x.Shape)
		}
		c := x.Shape[1]
		var params [2][]float64
		for i, name := range []string{"scale", "bias"} {
			v, err := kernel.Floats(in[1+i])
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", name, err)
			}
			// Opset 18 gives one value per group; later opsets (and
			// exporters that followed them) one per channel.
			if len(v) == g && g != c {
				pc := make([]float64, c)
				for ch := range pc {
					pc[ch] = v[ch/(c/g)]
				}
				v = pc
			}
			params[i] = v
		}
		y, err := groupNorm(x, g, params[0], params[1], float64(eps))
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}), nil
}

func buildMeanVarianceNormalization(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axes, err := n.AttrInts("axes", []int64{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("input has type %s, want a float type", x.DType)
		}
		reduced := make([]bool, x.Rank())
		for _, a := range axes {
			ax, err := kernel.NormalizeAxis(a, x.Rank())
			if err != nil {
				return nil, err
			}
			reduced[ax] = true
		}
		xs, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		// Group every element by its coordinates on the kept axes.
		st := kernel.Strides(x.Shape)
		groups := map[int][]int{}
		var order []int
		for i := range xs {
			k := 0
			for a := range st {
				if !reduced[a] {
					k += (i / st[a] % x.Shape[a]) * st[a]
				}
			}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], i)
		}
		y := make([]float64, len(xs))
		vals := make([]float64, 0)
		for _, k := range order {
			members := groups[k]
			vals = vals[:0]
			for _, i := range members {
				vals = append(vals, xs[i])
			}
			m, v := moments(vals)
			sd := math.Sqrt(v) + 1e-9
			for _, i := range members {
				y[i] = (xs[i] - m) / sd
			}
		}
		out, err := kernel.FromFloats(x.DType, x.Shape, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}
