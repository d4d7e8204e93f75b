package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// NormChain computes, in one kernel, LayerNorm over the last axis as
// torch.onnx.export writes it below opset 17:
//
//	m = ReduceMean(x, axes=[-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2))
//	y = Div(d, Sqrt(Add(v, Eps))) [· Gamma] [+ Beta]
//
// with exactly the bits of those operators run one by one on float32 x:
// each mean is a float64 sum in element order rounded once to float32 (as
// ReduceMean computes it), Pow(d, 2) is the float32 square d·d (the engine's
// rewrite of Pow), Sqrt is the float64 square root rounded to float32 (the
// correctly rounded float32 root), and Sub, Add, Div and Mul are float32
// operations. Each row is processed while it is in cache, four rows at a
// time so that their sums (sequential chains of float64 additions) overlap,
// and rows are split across goroutines.
//
// Run takes x alone and returns kernel.ErrNotFused when the chain does not
// apply to it (not float32, Axis not its last axis, an empty last axis,
// Gamma or Beta of another length, or constants of a higher rank that
// would broadcast the output to another shape).
type NormChain struct {
	// Axis is the ReduceMean nodes' axis.
	Axis int64
	Eps  float32
	// Gamma and Beta, when not nil, hold one value per element of the last
	// axis. Gamma, Beta and Eps hold no NaN (so the operand order of the
	// Mul and Adds, which the graph may give either way, cannot matter).
	Gamma, Beta []float32
	// ConstRank is the highest rank of Eps's, Gamma's and Beta's tensors.
	ConstRank int
}

// Run computes the chain on inputs[0].
func (c *NormChain) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return c.RunReusing(inputs, nil)
}

// RunReusing is Run, writing the result over x when spare[0] is set (each
// row is read before it is written; kernel.Reuser).
func (c *NormChain) RunReusing(inputs []*tensor.Tensor, spare []bool) ([]*tensor.Tensor, error) {
	x := kernel.Input(inputs, 0)
	if x == nil || x.DType != tensor.Float32 || x.Rank() == 0 || x.Rank() < c.ConstRank || x.Check() != nil {
		return nil, kernel.ErrNotFused
	}
	last := x.Rank() - 1
	n := x.Shape[last]
	ax, err := kernel.NormalizeAxis(c.Axis, x.Rank())
	if err != nil || ax != last || n == 0 ||
		(c.Gamma != nil && len(c.Gamma) != n) || (c.Beta != nil && len(c.Beta) != n) {
		return nil, kernel.ErrNotFused
	}
	var y *tensor.Tensor
	if len(spare) > 0 && spare[0] {
		y = &tensor.Tensor{DType: tensor.Float32, Shape: append([]int(nil), x.Shape...), Data: x.Data}
	} else {
		y = tensor.New(tensor.Float32, x.Shape...)
	}
	src, dst := x.Float32s(), y.Float32s()
	kernel.Split(len(src)/n, max(1, splitElems/n), func(lo, hi int) {
		c.rows(dst[lo*n:hi*n], src[lo*n:hi*n], n)
	})
	return []*tensor.Tensor{y}, nil
}

// rows normalises the rows of length n of x into y.
func (c *NormChain) rows(y, x []float32, n int) {
	fn := float64(n)
	r := 0
	for ; (r+4)*n <= len(x); r += 4 {
		x0, x1, x2, x3 := x[r*n:(r+1)*n], x[(r+1)*n:(r+2)*n], x[(r+2)*n:(r+3)*n], x[(r+3)*n:(r+4)*n]
		y0, y1, y2, y3 := y[r*n:(r+1)*n], y[(r+1)*n:(r+2)*n], y[(r+2)*n:(r+3)*n], y[(r+3)*n:(r+4)*n]
		s0, s1, s2, s3 := sum4(x0, x1, x2, x3)
		q0, q1, q2, q3 := center4(y0, y1, y2, y3, x0, x1, x2, x3,
			float32(s0/fn), float32(s1/fn), float32(s2/fn), float32(s3/fn))
		c.scale(y0, q0/fn)
		c.scale(y1, q1/fn)
		c.scale(y2, q2/fn)
		c.scale(y3, q3/fn)
	}
	for ; r*n < len(x); r++ {
		xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		m := float32(s / fn)
		var q float64
		for i, v := range xr {
			d := v - m
			yr[i] = d
			q += float64(float32(d * d))
		}
		c.scale(yr, q/fn)
	}
}

// sum4 returns the float64 sums of four rows, each in element order.
func sum4(x0, x1, x2, x3 []float32) (s0, s1, s2, s3 float64) {
	x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
	for i, v := range x0 {
		s0 += float64(v)
		s1 += float64(x1[i])
		s2 += float64(x2[i])
		s3 += float64(x3[i])
	}
	return
}

// center4 sets y = x - m for four rows and returns the float64 sums of the
// float32 squares y·y, each in element order.
func center4(y0, y1, y2, y3, x0, x1, x2, x3 []float32, m0, m1, m2, m3 float32) (q0, q1, q2, q3 float64) {
	n := len(x0)
	x1, x2, x3 = x1[:n], x2[:n], x3[:n]
	y0, y1, y2, y3 = y0[:n], y1[:n], y2[:n], y3[:n]
	for i, v := range x0 {
		d0, d1, d2, d3 := v-m0, x1[i]-m1, x2[i]-m2, x3[i]-m3
		y0[i], y1[i], y2[i], y3[i] = d0, d1, d2, d3
		q0 += float64(float32(d0 * d0))
		q1 += float64(float32(d1 * d1))
		q2 += float64(float32(d2 * d2))
		q3 += float64(float32(d3 * d3))
	}
	return
}

// scale finishes a centred row d given its variance as the float64 mean
// of squares before rounding: d / Sqrt(v + Eps) · Gamma + Beta.
func (c *NormChain) scale(d []float32, meanSq float64) {
	e := float32(meanSq) + c.Eps
	s := float32(math.Sqrt(float64(e)))
	switch g, b := c.Gamma, c.Beta; {
	case g != nil && b != nil:
		g, b = g[:len(d)], b[:len(d)]
		for i, v := range d {
			d[i] = float32(v/s*g[i]) + b[i]
		}
	case g != nil:
		g = g[:len(d)]
		for i, v := range d {
			d[i] = v / s * g[i]
		}
	case b != nil:
		b = b[:len(d)]
		for i, v := range d {
			d[i] = v/s + b[i]
		}
	default:
		for i, v := range d {
			d[i] = v / s
		}
	}
}
