package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/ops/kernel"
)

// dwCase is a depthwise convolution: planes (batch × channels), channels,
// and per spatial axis (1 to 3 of them) the input and kernel sizes,
// strides, dilations and begin/end pads (all begins, then all ends).
type dwCase struct {
	planes, c        int
	in, k, s, d, pad []int
	bias             bool
}

func (c dwCase) String() string {
	return fmt.Sprintf("planes=%d c=%d in=%v k=%v s=%v d=%v pad=%v bias=%v", c.planes, c.c, c.in, c.k, c.s, c.d, c.pad, c.bias)
}

// window resolves c's geometry; ok is false when the kernel does not fit.
func (c dwCase) window() (window, bool) {
	attrs := windowAttrs{autoPad: "NOTSET", strides: c.s, dilations: c.d, pads: c.pad, kernelShape: c.k}
	g, err := resolveWindow(attrs, c.in, c.k, false)
	return g, err == nil
}

// randomDWCase draws a shape with 1 to 3 spatial axes (mostly 2), kernels
// of 1 to 7, strides and dilations of 1 or 2, pads of 0 to 3 and rows of 1
// to 130 columns.
func randomDWCase(r *rand.Rand) dwCase {
	for {
		n := 2
		switch r.IntN(8) {
		case 0:
			n = 1
		case 1:
			n = 3
		}
		c := dwCase{c: 1 + r.IntN(3), bias: r.IntN(4) != 0}
		c.planes = c.c * (1 + r.IntN(2))
		c.pad = make([]int, 2*n)
		for i := 0; i < n; i++ {
			in := 1 + r.IntN(9)
			if i == n-1 {
				in = 1 + r.IntN(130)
			}
			if n == 3 && i == 0 {
				in = 1 + r.IntN(4)
			}
			k := 1 + r.IntN(7)
			c.in = append(c.in, in)
			c.k = append(c.k, k)
			c.s = append(c.s, 1+r.IntN(2))
			c.d = append(c.d, 1+r.IntN(2))
			c.pad[i], c.pad[n+i] = r.IntN(4), r.IntN(4)
		}
		if _, ok := c.window(); ok {
			return c
		}
	}
}

// dwSpecial are values that a change of the arithmetic would show: signed
// zeros, infinities, NaN, subnormals and values near overflow.
var dwSpecial = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-38, math.MaxFloat32, -math.MaxFloat32, 1, -1}

// dwValues returns n random values, a fraction special of them drawn from
// dwSpecial.
func dwValues(r *rand.Rand, n int, special float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		if r.Float64() < special {
			v[i] = dwSpecial[r.IntN(len(dwSpecial))]
			continue
		}
		v[i] = r.Float32()*4 - 2
	}
	return v
}

// dwISAs returns the codes this CPU runs.
func dwISAs() []dwISA {
	isas := []dwISA{dwGo}
	if useAVX2 {
		isas = append(isas, dwAVX2)
	}
	if useAVX512 {
		isas = append(isas, dwAVX512)
	}
	return isas
}

func (isa dwISA) String() string {
	return [...]string{"Go", "AVX2", "AVX512"}[isa]
}

// TestDepthwiseMatchesReference checks every depthwise code against the
// code it replaced, bit for bit, on fixed network shapes and random ones,
// with random and special inputs, weights and biases.
func TestDepthwiseMatchesReference(t *testing.T) {
	cases := []dwCase{
		{planes: 4, c: 4, in: []int{112, 112}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true},
		{planes: 4, c: 4, in: []int{112, 112}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true},
		{planes: 3, c: 3, in: []int{28, 28}, k: []int{5, 5}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{2, 2, 2, 2}, bias: true},
		{planes: 3, c: 3, in: []int{14, 14}, k: []int{5, 5}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{2, 2, 2, 2}, bias: true},
		{planes: 2, c: 2, in: []int{7, 7}, k: []int{7, 7}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{3, 3, 3, 3}, bias: true},
		{planes: 2, c: 2, in: []int{56, 56}, k: []int{7, 7}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{3, 3, 3, 3}, bias: false},
		{planes: 2, c: 1, in: []int{9, 130}, k: []int{3, 7}, s: []int{2, 2}, d: []int{2, 2}, pad: []int{0, 9, 3, 0}, bias: true},
	}
	r := rand.New(rand.NewPCG(3, 7))
	for len(cases) < 400 {
		cases = append(cases, randomDWCase(r))
	}
	for i, c := range cases {
		g, _ := c.window()
		ks := g.kSize()
		special := []float64{0, 0.2}[i%2]
		x := dwValues(r, c.planes*g.inSize(), special)
		w := dwValues(r, c.c*ks, special)
		var bias []float32
		if c.bias {
			bias = dwValues(r, c.c, special)
		}
		want := dwValues(r, c.planes*g.outSize(), 0)
		depthwiseRef(want, x, w, bias, c.planes, &g, nil, nil)
		for _, isa := range dwISAs() {
			got := dwValues(r, len(want), 0)
			depthwiseISA(got, x, w, bias, c.planes, &g, nil, nil, isa, nil)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%v %v: element %d = %v (%#x), want %v (%#x)", isa, c, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
		}
	}
}

// TestDepthwiseEpilogue checks that the fused activation and residual are
// applied to every plane as before.
func TestDepthwiseEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	c := dwCase{planes: 6, c: 3, in: []int{20, 37}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true}
	g, _ := c.window()
	x := dwValues(r, c.planes*g.inSize(), 0)
	w := dwValues(r, c.c*g.kSize(), 0)
	bias := dwValues(r, c.c, 0)
	res := dwValues(r, c.planes*g.outSize(), 0)
	epi := &kernel.Epilogue{Residual: true, Act: kernel.ActRelu}
	want := make([]float32, len(res))
	depthwiseRef(want, x, w, bias, c.planes, &g, epi, res)
	for _, isa := range dwISAs() {
		got := make([]float32, len(res))
		depthwiseISA(got, x, w, bias, c.planes, &g, epi, res, isa, nil)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%v: element %d = %v, want %v", isa, j, got[j], want[j])
			}
		}
	}
}

// BenchmarkDepthwise times the old and new code on network shapes: 3×3
// stride 1 and 2 (MobileNetV2), 5×5 stride 2 (EfficientNet-B0) and 7×7
// (ConvNeXt).
func BenchmarkDepthwise(b *testing.B) {
	shapes := []struct {
		name string
		c    dwCase
	}{
		{"3x3s1_128x56", dwCase{planes: 128, c: 128, in: []int{56, 56}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true}},
		{"3x3s1_96x112", dwCase{planes: 96, c: 96, in: []int{112, 112}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true}},
		{"3x3s2_96x112", dwCase{planes: 96, c: 96, in: []int{112, 112}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true}},
		{"3x3s1_576x14", dwCase{planes: 576, c: 576, in: []int{14, 14}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}, bias: true}},
		{"5x5s2_240x28", dwCase{planes: 240, c: 240, in: []int{28, 28}, k: []int{5, 5}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{2, 2, 2, 2}, bias: true}},
		{"7x7s1_96x56", dwCase{planes: 96, c: 96, in: []int{56, 56}, k: []int{7, 7}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{3, 3, 3, 3}, bias: true}},
		{"7x7s1_768x7", dwCase{planes: 768, c: 768, in: []int{7, 7}, k: []int{7, 7}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{3, 3, 3, 3}, bias: true}},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range shapes {
		g, _ := s.c.window()
		x := dwValues(r, s.c.planes*g.inSize(), 0)
		w := dwValues(r, s.c.c*g.kSize(), 0)
		bias := dwValues(r, s.c.c, 0)
		y := make([]float32, s.c.planes*g.outSize())
		flops := float64(2 * s.c.planes * g.outSize() * g.kSize())
		run := map[string]func(){
			"old": func() { depthwiseRef(y, x, w, bias, s.c.planes, &g, nil, nil) },
		}
		for _, isa := range dwISAs() {
			run[isa.String()] = func() { depthwiseISA(y, x, w, bias, s.c.planes, &g, nil, nil, isa, nil) }
		}
		for _, name := range []string{"old", "Go", "AVX2", "AVX512"} {
			f, ok := run[name]
			if !ok {
				continue
			}
			b.Run(s.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// depthwiseRef is depthwise as it was before the row kernels (axpy per
// kernel tap and output row, a scalar loop for strided rows): the
// reference that the kernels must match bit for bit.
//
// Naive reference: y[pl,p] = bias[pl%C] + sum_t w[pl%C,t] * x[pl, i(p,t)],
// then epi (when non-nil) with res as the residual.
func depthwiseRef(y, x, w, bias []float32, planes int, g *window, epi *kernel.Epilogue, res []float32) {
	ks, in, out := g.kSize(), g.inSize(), g.outSize()
	c := len(w) / ks
	units := planes
	wk := workers(2*planes*out*ks, units)
	// Per tap column: the output columns [lo, hi) that read inside the
	// input row, and the input column x0 of output column 0.
	cols := make([][3]int, g.k[2])
	for tc := range cols {
		x0 := tc*g.d[2] - g.pb[2]
		lo, hi := rowSpan(x0, g.out[2], g.in[2], g.s[2])
		cols[tc] = [3]int{lo, hi, x0}
	}
	parallelFor(wk, units, func(pl int) {
		ch := pl % c
		wt := w[ch*ks : (ch+1)*ks]
		xs := x[pl*in : (pl+1)*in]
		ys := y[pl*out : (pl+1)*out]
		var bv float32
		if bias != nil {
			bv = bias[ch]
		}
		for i := range ys {
			ys[i] = bv
		}
		// One output row at a time, all taps in order, so that the row
		// stays in L1 (the same sums as tap by tap over the plane).
		oh, ow := g.out[1], g.out[2]
		id, ih, iw := g.in[0], g.in[1], g.in[2]
		sw := g.s[2]
		for a := 0; a < g.out[0]; a++ {
			for b := 0; b < oh; b++ {
				dst := ys[(a*oh+b)*ow : (a*oh+b+1)*ow]
				t := 0
				for ta := 0; ta < g.k[0]; ta++ {
					z := a*g.s[0] - g.pb[0] + ta*g.d[0]
					for tb := 0; tb < g.k[1]; tb++ {
						yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
						if z < 0 || z >= id || yy < 0 || yy >= ih {
							t += g.k[2]
							continue
						}
						src := xs[(z*ih+yy)*iw : (z*ih+yy+1)*iw]
						for tc := 0; tc < g.k[2]; tc++ {
							wv := wt[t]
							t++
							c := cols[tc]
							lo, hi, x0 := c[0], c[1], c[2]
							if lo >= hi {
								// Added: the former code sliced
								// src[lo+x0:hi+x0] out of range when
								// the column never reads inside the
								// row; it adds nothing.
								continue
							}
							if sw == 1 {
								axpy(dst[lo:hi], wv, src[lo+x0:hi+x0])
								continue
							}
							for j := lo; j < hi; j++ {
								dst[j] += wv * src[j*sw+x0]
							}
						}
					}
				}
			}
		}
		if epi != nil {
			var r []float32
			if res != nil {
				r = res[pl*out : (pl+1)*out]
			}
			epi.Apply(ys, r, 0)
		}
	})
}

// TestDWSplit checks dwSplit against its definition: each row's columns
// grouped by phase modulo the stride, in order.
func TestDWSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 4))
	for _, c := range []struct{ rows, iw, s int }{
		{1, 1, 2}, {2, 15, 2}, {3, 16, 2}, {2, 17, 2}, {2, 33, 2}, {4, 112, 2}, {2, 130, 2}, {3, 7, 3}, {2, 20, 3}, {2, 9, 1},
	} {
		x := dwValues(r, c.rows*c.iw, 0)
		got := make([]float32, len(x))
		dwSplit(got, x, c.iw, c.s)
		var want []float32
		for row := 0; row < c.rows; row++ {
			for q := 0; q < c.s; q++ {
				for j := q; j < c.iw; j += c.s {
					want = append(want, x[row*c.iw+j])
				}
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: element %d = %v, want %v", c, i, got[i], want[i])
			}
		}
	}
}
