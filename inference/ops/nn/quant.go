package nn

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Linear quantization: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
// QLinearConv. Integer products accumulate exactly in int64; requantization
// divides in float32 as ONNX's reference does and rounds half to even.

// quantRange returns the saturation bounds of a quantized type.
func quantRange(dt tensor.DType) (lo, hi float64, err error) {
	switch dt {
	case tensor.Uint8:
		return 0, 255, nil
	case tensor.Int8:
		return -128, 127, nil
	case tensor.Uint16:
		return 0, 65535, nil
	case tensor.Int16:
		return -32768, 32767, nil
	case tensor.Int32:
		return math.MinInt32, math.MaxInt32, nil
	}
	return 0, 0, fmt.Errorf("quantized type %s is not supported", dt)
}

// perAxis expands a scalar or 1-D per-axis parameter p to one value per
// element of a tensor of shape (index along axis ax picks the value).
// p == nil gives def everywhere.
func perAxis(p *tensor.Tensor, shape []int, ax int, def float64, what string) (func(i int) float64, error) {
	if p == nil {
		return func(int) float64 { return def }, nil
	}
	v, err := kernel.Floats(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case len(v) == 1 && p.Rank() <= 1:
		c := v[0]
		return func(int) float64 { return c }, nil
	case p.Rank() == 1 && ax >= 0 && ax < len(shape) && len(v) == shape[ax]:
		inner := tensor.NumElements(shape[ax+1:])
		dim := shape[ax]
		return func(i int) float64 { return v[i/inner%dim] }, nil
	}
	return nil, fmt.Errorf("%s has shape %v, want a scalar or [%d] along axis %d", what, p.Shape, shape[min(max(ax, 0), len(shape)-1)], ax)
}

func quantAxis(n *onnx.Node, opset int64) (int64, error) {
	if opset < 13 {
		return 1, nil
	}
	return n.AttrInt("axis", 1)
}

func buildQuantizeLinear(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := quantAxis(n, opset)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x := in[0]
		zp := kernel.Input(in, 2)
		to := tensor.Uint8
		if zp != nil {
			to = zp.DType
		}
		lo, hi, err := quantRange(to)
		if err != nil {
			return nil, err
		}
		ax := int(axis)
		if ax < 0 {
			ax += x.Rank()
		}
		scale, err := perAxis(in[1], x.Shape, ax, 1, "y_scale")
		if err != nil {
			return nil, err
		}
		zero, err := perAxis(zp, x.Shape, ax, 0, "y_zero_point")
		if err != nil {
			return nil, err
		}
		xs, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		y := make([]float64, len(xs))
		for i, v := range xs {
			var q float64
			if x.DType == tensor.Float64 {
				q = v / scale(i)
			} else {
				q = float64(float32(v) / float32(scale(i)))
			}
			y[i] = clampF(math.RoundToEven(q)+zero(i), lo, hi)
		}
		out, err := kernel.FromFloats(to, x.Shape, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func buildDequantizeLinear(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := quantAxis(n, opset)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x := in[0]
		ax := int(axis)
		if ax < 0 {
			ax += x.Rank()
		}
		scale, err := perAxis(in[1], x.Shape, ax, 1, "x_scale")
		if err != nil {
			return nil, err
		}
		zero, err := perAxis(kernel.Input(in, 2), x.Shape, ax, 0, "x_zero_point")
		if err != nil {
			return nil, err
		}
		xs, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		y := make([]float64, len(xs))
		for i, v := range xs {
			if in[1].DType == tensor.Float64 {
				y[i] = (v - zero(i)) * scale(i)
			} else {
				y[i] = float64(float32(v-zero(i)) * float32(scale(i)))
			}
		}
		out, err := kernel.FromFloats(in[1].DType, x.Shape, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func buildDynamicQuantizeLinear(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.DType != tensor.Float32 {
			return nil, fmt.Errorf("input has type %s, want float32", x.DType)
		}
		xs := x.Float32s()
		var lo, hi float32
		for _, v := range xs {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale := (hi - lo) / 255
		zp := float32(0)
		if scale != 0 {
			zp = float32(clampF(math.RoundToEven(float64(0-lo/scale)), 0, 255))
		}
		y := tensor.New(tensor.Uint8, x.Shape...)
		yd := y.Data.([]uint8)
		for i, v := range xs {
			q := float64(zp)
			if scale != 0 {
				q += math.RoundToEven(float64(v / scale))
			}
			yd[i] = uint8(clampF(q, 0, 255))
		}
		st := tensor.New(tensor.Float32)
		st.Float32s()[0] = scale
		zt := tensor.New(tensor.Uint8)
		zt.Data.([]uint8)[0] = uint8(zp)
		return []*tensor.Tensor{y, st, zt}, nil
	}), nil
}

// intMatMul computes the int64 matrix product of (a - azp) and (b - bzp)
// with numpy matmul broadcasting. azp is per row of a's last two axes (or
// scalar), bzp per column of b (or scalar).
func intMatMul(a, b, azpT, bzpT *tensor.Tensor) ([]int64, []int, error) {
	p, err := planMatMul(a.Shape, b.Shape)
	if err != nil {
		return nil, nil, err
	}
	av, err := kernel.Floats(a)
	if err != nil {
		return nil, nil, err
	}
	bv, err := kernel.Floats(b)
	if err != nil {
		return nil, nil, err
	}
	m, k, n := p.m, p.k, p.n
	zpOf := func(t *tensor.Tensor, count int, what string) ([]float64, error) {
		if t == nil {
			return make([]float64, count), nil
		}
		v, err := kernel.Floats(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if len(v) == 1 {
			out := make([]float64, count)
			for i := range out {
				out[i] = v[0]
			}
			return out, nil
		}
		if len(v) != count {
			return nil, fmt.Errorf("%s has %d values, want 1 or %d", what, len(v), count)
		}
		return v, nil
	}
	azp, err := zpOf(azpT, m, "a_zero_point")
	if err != nil {
		return nil, nil, err
	}
	bzp, err := zpOf(bzpT, n, "b_zero_point")
	if err != nil {
		return nil, nil, err
	}
	nb := len(p.aOff)
	y := make([]int64, nb*m*n)
	for bi := 0; bi < nb; bi++ {
		ao, bo := p.aOff[bi], p.bOff[bi]
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s int64
				for l := 0; l < k; l++ {
					s += int64(av[ao+i*k+l]-azp[i]) * int64(bv[bo+l*n+j]-bzp[j])
				}
				y[(bi*m+i)*n+j] = s
			}
		}
	}
	return y, p.out, nil
}

func buildMatMulInteger(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		y, shape, err := intMatMul(in[0], in[1], kernel.Input(in, 2), kernel.Input(in, 3))
		if err != nil {
			return nil, err
		}
		out := tensor.New(tensor.Int32, shape...)
		for i, v := range y {
			out.Int32s()[i] = int32(v)
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

// requantize maps int64 accumulators to the output's quantized type:
// q = saturate(round(acc·(sa·sb/sy)) + zy), the multiplier in float32.
func requantize(acc []int64, shape []int, mult func(i int) float32, yzp *tensor.Tensor) (*tensor.Tensor, error) {
	to := tensor.Uint8
	zy := 0.0
	if yzp != nil {
		to = yzp.DType
		v, err := kernel.Floats(yzp)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("y_zero_point must be a scalar")
		}
		zy = v[0]
	}
	lo, hi, err := quantRange(to)
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(acc))
	for i, a := range acc {
		y[i] = clampF(math.RoundToEven(float64(float32(a)*mult(i)))+zy, lo, hi)
	}
	return kernel.FromFloats(to, shape, y)
}

func scalarFloat(t *tensor.Tensor, what string) (float32, error) {
	v, err := kernel.Floats(t)
	if err != nil || len(v) != 1 {
		return 0, fmt.Errorf("%s must be a scalar float", what)
	}
	return float32(v[0]), nil
}

func buildQLinearMatMul(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 8); err != nil {
			return nil, err
		}
		acc, shape, err := intMatMul(in[0], in[3], in[2], in[5])
		if err != nil {
			return nil, err
		}
		sa, err := scalarFloat(in[1], "a_scale")
		if err != nil {
			return nil, err
		}
		sb, err := scalarFloat(in[4], "b_scale")
		if err != nil {
			return nil, err
		}
		sy, err := scalarFloat(in[6], "y_scale")
		if err != nil {
			return nil, err
		}
		m := sa * sb / sy
		out, err := requantize(acc, shape, func(int) float32 { return m }, in[7])
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

// intConv is a naive grouped convolution of (x - xzp) with (w - wzp[m]),
// accumulated exactly in int64.
type intConv struct {
	attrs windowAttrs
	group int
}

func newIntConv(n *onnx.Node) (*intConv, error) {
	attrs, err := readWindowAttrs(n)
	if err != nil {
		return nil, err
	}
	group, err := n.AttrInt("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 {
		return nil, fmt.Errorf("group = %d, want >= 1", group)
	}
	return &intConv{attrs: attrs, group: int(group)}, nil
}

func (c *intConv) run(x, w, xzpT, wzpT *tensor.Tensor) ([]int64, []int, error) {
	if x.Rank() < 3 || x.Rank() != w.Rank() {
		return nil, nil, fmt.Errorf("X %v and W %v must both be (N, C, spatial...)", x.Shape, w.Shape)
	}
	if err := c.attrs.check(w.Rank() - 2); err != nil {
		return nil, nil, err
	}
	batch, ch := x.Shape[0], x.Shape[1]
	m, cg := w.Shape[0], w.Shape[1]
	if ch != cg*c.group || m%c.group != 0 {
		return nil, nil, fmt.Errorf("X has %d channels, W %v with group %d", ch, w.Shape, c.group)
	}
	g, err := resolveWindow(c.attrs, x.Shape[2:], w.Shape[2:], false)
	if err != nil {
		return nil, nil, err
	}
	xv, err := kernel.Floats(x)
	if err != nil {
		return nil, nil, err
	}
	wv, err := kernel.Floats(w)
	if err != nil {
		return nil, nil, err
	}
	xzp := 0.0
	if xzpT != nil {
		v, err := kernel.Floats(xzpT)
		if err != nil || len(v) != 1 {
			return nil, nil, fmt.Errorf("x_zero_point must be a scalar")
		}
		xzp = v[0]
	}
	wzp := make([]float64, m)
	if wzpT != nil {
		v, err := kernel.Floats(wzpT)
		if err != nil || (len(v) != 1 && len(v) != m) {
			return nil, nil, fmt.Errorf("w_zero_point must be a scalar or have %d values", m)
		}
		for i := range wzp {
			wzp[i] = v[min(i, len(v)-1)]
		}
	}
	mg := m / c.group
	ks, is, os := g.kSize(), g.inSize(), g.outSize()
	y := make([]int64, batch*m*os)
	for b := 0; b < batch; b++ {
		for o := 0; o < m; o++ {
			gr := o / mg
			for p := 0; p < os; p++ {
				o0, o1, o2 := p/(g.out[1]*g.out[2]), p/g.out[2]%g.out[1], p%g.out[2]
				var s int64
				for ci := 0; ci < cg; ci++ {
					xc := xv[(b*ch+gr*cg+ci)*is:]
					wc := wv[(o*cg+ci)*ks:]
					for t := 0; t < ks; t++ {
						t0, t1, t2 := t/(g.k[1]*g.k[2]), t/g.k[2]%g.k[1], t%g.k[2]
						i0 := o0*g.s[0] - g.pb[0] + t0*g.d[0]
						i1 := o1*g.s[1] - g.pb[1] + t1*g.d[1]
						i2 := o2*g.s[2] - g.pb[2] + t2*g.d[2]
						if i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2] {
							continue // zero padding: (xzp - xzp) contributes 0
						}
						xv := xc[(i0*g.in[1]+i1)*g.in[2]+i2]
						s += int64(xv-xzp) * int64(wc[t]-wzp[o])
					}
				}
				y[(b*m+o)*os+p] = s
			}
		}
	}
	return y, append([]int{batch, m}, g.outShape()...), nil
}

func buildConvInteger(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	c, err := newIntConv(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		y, shape, err := c.run(in[0], in[1], kernel.Input(in, 2), kernel.Input(in, 3))
		if err != nil {
			return nil, err
		}
		out := tensor.New(tensor.Int32, shape...)
		for i, v := range y {
			out.Int32s()[i] = int32(v)
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func buildQLinearConv(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	c, err := newIntConv(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 8); err != nil {
			return nil, err
		}
		acc, shape, err := c.run(in[0], in[3], in[2], in[5])
		if err != nil {
			return nil, err
		}
		if b := kernel.Input(in, 8); b != nil {
			bv, err := kernel.Ints(b)
			if err != nil || len(bv) != shape[1] {
				return nil, fmt.Errorf("B must be int32[%d]", shape[1])
			}
			inner := tensor.NumElements(shape[2:])
			for i := range acc {
				acc[i] += bv[i/inner%shape[1]]
			}
		}
		sx, err := scalarFloat(in[1], "x_scale")
		if err != nil {
			return nil, err
		}
		sy, err := scalarFloat(in[6], "y_scale")
		if err != nil {
			return nil, err
		}
		sw, err := kernel.Floats(in[4])
		if err != nil || (len(sw) != 1 && len(sw) != shape[1]) {
			return nil, fmt.Errorf("w_scale must be a scalar or have %d values", shape[1])
		}
		inner := tensor.NumElements(shape[2:])
		mult := func(i int) float32 {
			return sx * float32(sw[min(i/inner%shape[1], len(sw)-1)]) / sy
		}
		out, err := requantize(acc, shape, mult, in[7])
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}
