package nn

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/papdl/papdl/inference/ops/kernel"
)

// dwISA names the code that computes the planes of a depthwise convolution:
// the Go loop or the AVX2 or AVX-512 assembly. All give the same bits.
type dwISA int

const (
	dwGo dwISA = iota
	dwAVX2
	dwAVX512
)

// dwBestISA returns the fastest dwISA this CPU runs.
func dwBestISA() dwISA {
	switch {
	case useAVX512:
		return dwAVX512
	case useAVX2:
		return dwAVX2
	}
	return dwGo
}

// lanes returns the vector width of isa in float32s (1 for the Go loop).
func (isa dwISA) lanes() int {
	switch isa {
	case dwAVX512:
		return 16
	case dwAVX2:
		return 8
	}
	return 1
}

// depthwise computes a convolution with one input and one output channel
// per group, directly.
//
// Naive reference: y[pl,p] = bias[pl%C] + sum_t w[pl%C,t] * x[pl, i(p,t)],
// then epi (when non-nil) with res as the residual. Each output starts at
// the bias and adds the taps t that read inside the input in order (kernel
// rows, then columns), the product rounded before the sum (no fused
// multiply-add); taps that read the padding are skipped, not added as zero.
//
// buf is scratch space of dwScratch(planes, g, dwBestISA()) values (a
// shorter one is replaced by a new one).
func depthwise(y, x, w, bias []float32, planes int, g *window, epi *kernel.Epilogue, res, buf []float32) {
	depthwiseISA(y, x, w, bias, planes, g, epi, res, dwBestISA(), buf)
}

// dwWorkers returns how many goroutines depthwise uses for planes planes.
func dwWorkers(planes int, g *window) int {
	return workers(2*planes*g.outSize()*g.kSize(), planes)
}

// dwScratch returns the number of scratch values depthwiseISA needs: with
// a stride along rows, the vector code reads each plane from a copy with
// its rows split by column phase, one copy per goroutine.
func dwScratch(planes int, g *window, isa dwISA) int {
	if g.s[2] <= 1 || isa == dwGo {
		return 0
	}
	return dwWorkers(planes, g) * g.inSize()
}

// depthwiseISA is depthwise computed by the code isa.
func depthwiseISA(y, x, w, bias []float32, planes int, g *window, epi *kernel.Epilogue, res []float32, isa dwISA, buf []float32) {
	ks, in, out := g.kSize(), g.inSize(), g.outSize()
	c := len(w) / ks
	p := newDWPlan(g, isa)
	wk := dwWorkers(planes, g)
	// copies recycles the copies between the planes of this call, taken
	// from buf (past its wk copies, which only a garbage collection
	// emptying the pool can ask for, from new ones).
	var copies *sync.Pool
	if n := dwScratch(planes, g, isa); n > 0 {
		if len(buf) < n {
			buf = make([]float32, n)
		}
		var next atomic.Int64
		copies = &sync.Pool{New: func() any {
			if i := int(next.Add(1) - 1); i < wk {
				b := buf[i*in : (i+1)*in]
				return &b
			}
			b := make([]float32, in)
			return &b
		}}
	}
	parallelFor(wk, planes, func(pl int) {
		ch := pl % c
		wt := w[ch*ks : (ch+1)*ks]
		xs := x[pl*in : (pl+1)*in]
		ys := y[pl*out : (pl+1)*out]
		var bv float32
		if bias != nil {
			bv = bias[ch]
		}
		if hasNaN(wt) {
			p.planeNaN(ys, xs, wt, bv)
		} else if copies != nil {
			b := copies.Get().(*[]float32)
			dwSplit(*b, xs, p.iw, p.sw)
			p.plane(ys, *b, wt, bv, isa)
			copies.Put(b)
		} else {
			p.plane(ys, xs, wt, bv, isa)
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

// dwTapRow is a kernel row that an output row reads inside the input: the
// offset of its input row in the plane and the index of its first weight.
type dwTapRow struct {
	off, woff int
}

// dwPlan is what every plane of a depthwise convolution shares: which input
// values each output row reads and, for the vector code, which vectors of a
// row need masks.
//
// The vector code reads input rows as prepared by dwSplit: with column
// stride sw > 1, the columns of each row are grouped by phase (column mod
// sw), so that consecutive output columns read consecutive values. The Go
// loop reads them as they are.
type dwPlan struct {
	g              *window
	ow, iw, sw, kw int
	// rows[rowStart[i]:rowStart[i+1]] are the tap rows of output row i
	// (all output rows of the plane, depth then height), in tap order.
	rows     []dwTapRow
	rowStart []int
	// four[i] says that output rows i to i+3 read the same kernel rows,
	// row i+k's input rows k·step[i] values further than row i's (the
	// vector code computes them together).
	four []bool
	step []int
	// Per tap column tc: output columns [lo[tc], hi[tc]) read inside the
	// input row, output column j reading element cols[tc]+j of the
	// prepared row and column j·sw+x0[tc] of the input row.
	cols, lo, hi, x0 []int
	// The vector code covers a row with vectors at columns 0, v, 2v, ...:
	// nfull vectors from full0 on read inside the input for every tap;
	// the others, starting at edges[e], add tap tc only in the lanes
	// where masks[(e*(kw+1)+tc)*mw:] is set and store the lanes set in
	// mask kw (the columns < ow). mw is 1 word of bits for AVX-512 and 8
	// lane words of all ones or zero for AVX2.
	full0, nfull int
	edges        []int
	masks        []uint32
}

// newDWPlan returns the plan of window g for the code isa.
func newDWPlan(g *window, isa dwISA) *dwPlan {
	oh, ow := g.out[1], g.out[2]
	id, ih, iw := g.in[0], g.in[1], g.in[2]
	sw := g.s[2]
	kw := g.k[2]
	p := &dwPlan{g: g, ow: ow, iw: iw, sw: sw, kw: kw}
	p.rowStart = append(p.rowStart, 0)
	for a := 0; a < g.out[0]; a++ {
		for b := 0; b < oh; b++ {
			for ta := 0; ta < g.k[0]; ta++ {
				z := a*g.s[0] - g.pb[0] + ta*g.d[0]
				for tb := 0; tb < g.k[1]; tb++ {
					yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
					if z < 0 || z >= id || yy < 0 || yy >= ih {
						continue
					}
					p.rows = append(p.rows, dwTapRow{off: (z*ih + yy) * iw, woff: (ta*g.k[1] + tb) * kw})
				}
			}
			p.rowStart = append(p.rowStart, len(p.rows))
		}
	}
	p.four, p.step = make([]bool, len(p.rowStart)-1), make([]int, len(p.rowStart)-1)
	for i := 0; i+4 < len(p.rowStart); i++ {
		p.four[i], p.step[i] = p.shifted(i)
	}
	// phase[q] is where the columns of phase q start in a prepared row.
	phase := make([]int, sw)
	for q := 1; q < sw; q++ {
		phase[q] = phase[q-1] + (iw-(q-1)+sw-1)/sw
	}
	p.cols, p.lo, p.hi, p.x0 = make([]int, kw), make([]int, kw), make([]int, kw), make([]int, kw)
	lmax, hmin := 0, ow
	for tc := 0; tc < kw; tc++ {
		x0 := tc*g.d[2] - g.pb[2]
		p.x0[tc] = x0
		p.lo[tc], p.hi[tc] = rowSpan(x0, ow, iw, sw)
		// Input column j·sw + x0 = sw·(j + f) + q.
		q := ((x0 % sw) + sw) % sw
		f := (x0 - q) / sw
		p.cols[tc] = phase[q] + f
		lmax, hmin = max(lmax, p.lo[tc]), min(hmin, p.hi[tc])
	}
	v := isa.lanes()
	if v == 1 {
		return p
	}
	mw := 1
	if isa == dwAVX2 {
		mw = v
	}
	p.full0 = (lmax + v - 1) / v * v
	if hmin > p.full0 {
		p.nfull = (hmin - p.full0) / v
	}
	for j0 := 0; j0 < ow; j0 += v {
		if j0 >= p.full0 && j0 < p.full0+p.nfull*v {
			continue
		}
		p.edges = append(p.edges, j0)
		for tc := 0; tc <= kw; tc++ {
			lo, hi := 0, ow
			if tc < kw {
				lo, hi = p.lo[tc], p.hi[tc]
			}
			var bits uint32
			for i := 0; i < v; i++ {
				if j := j0 + i; j >= lo && j < hi {
					bits |= 1 << i
				}
			}
			if mw == 1 {
				p.masks = append(p.masks, bits)
				continue
			}
			for i := 0; i < v; i++ {
				p.masks = append(p.masks, -(bits >> i & 1))
			}
		}
	}
	return p
}

// shifted reports whether output rows i to i+3 read the same kernel rows,
// each row's input rows step values further than the previous row's.
func (p *dwPlan) shifted(i int) (ok bool, step int) {
	r0 := p.rows[p.rowStart[i]:p.rowStart[i+1]]
	if len(r0) == 0 {
		return false, 0
	}
	if p.rowStart[i+2]-p.rowStart[i+1] != len(r0) {
		return false, 0
	}
	step = p.rows[p.rowStart[i+1]].off - r0[0].off
	for k := 1; k < 4; k++ {
		rk := p.rows[p.rowStart[i+k]:p.rowStart[i+k+1]]
		if len(rk) != len(r0) {
			return false, 0
		}
		for t := range r0 {
			if rk[t].woff != r0[t].woff || rk[t].off-r0[t].off != k*step {
				return false, 0
			}
		}
	}
	return true, step
}

// plane computes the output plane ys from the prepared input plane xs, the
// channel's weights wt and bias bv.
func (p *dwPlan) plane(ys, xs, wt []float32, bv float32, isa dwISA) {
	if isa == dwGo || len(p.rowStart) == 1 || p.ow == 0 || len(xs) == 0 {
		p.planeGo(ys, xs, wt, bv)
		return
	}
	p.planeAsm(ys, xs, wt, bv, isa)
}

// planeGo is plane in Go, one output row at a time and tap by tap over the
// row. It reads strided rows from the plane as is, not split. Each sum
// reads the product first for unstrided rows and, for strided ones, the
// operand stridedAccFirst says, as the former code (axpy and a scalar loop)
// did: that decides which NaN the result is when both are NaN. The
// products need no such care: planes whose weights hold a NaN go through
// planeNaN. Without a NaN in the input and the bias, the sums need none
// either.
func (p *dwPlan) planeGo(ys, xs, wt []float32, bv float32) {
	ow := p.ow
	// Without a NaN in the input or the bias, every NaN is the one that
	// invalid operations give, and the order of the operands does not
	// matter.
	nanIn := bv != bv || hasNaN(xs)
	for i := 0; i+1 < len(p.rowStart); i++ {
		dst := ys[i*ow : (i+1)*ow]
		for j := range dst {
			dst[j] = bv
		}
		for _, r := range p.rows[p.rowStart[i]:p.rowStart[i+1]] {
			for tc := 0; tc < p.kw; tc++ {
				lo, hi := p.lo[tc], p.hi[tc]
				if lo >= hi {
					continue
				}
				wv := wt[r.woff+tc]
				o := r.off + p.cols[tc]
				// A strided row is read from the plane as is (not split).
				src, sw, x0 := xs[r.off:], p.sw, p.x0[tc]
				switch {
				case !nanIn && sw == 1:
					for j, v := range xs[o+lo : o+hi] {
						// The conversion rules out a fused multiply-add.
						dst[lo+j] += float32(wv * v)
					}
					continue
				case !nanIn:
					for j := lo; j < hi; j++ {
						dst[j] += float32(wv * src[j*sw+x0])
					}
					continue
				case sw == 1:
					for j, v := range xs[o+lo : o+hi] {
						dst[lo+j] = addFirst(float32(wv*v), dst[lo+j])
					}
					continue
				}
				if !stridedAccFirst {
					for j := lo; j < hi; j++ {
						dst[j] = addFirst(float32(wv*src[j*sw+x0]), dst[j])
					}
					continue
				}
				for j := lo; j < hi; j++ {
					dst[j] = addFirst(dst[j], float32(wv*src[j*sw+x0]))
				}
			}
		}
	}
}

// addFirst returns a + b as an x86 addition with a as its first operand
// computes it: when both are NaN, the result is a, quieted (where the Go
// compiler may put either operand first).
func addFirst(a, b float32) float32 {
	s := a + b
	if s != s {
		if a != a {
			return math.Float32frombits(math.Float32bits(a) | 1<<22)
		}
		if b != b {
			return math.Float32frombits(math.Float32bits(b) | 1<<22)
		}
	}
	return s
}

// dwSplit copies the plane x, rows of iw values, to dst with the columns of
// each row grouped by phase: columns 0, s, 2s, ..., then 1, 1+s, ..., up to
// s-1, s-1+s, ....
func dwSplit(dst, x []float32, iw, s int) {
	dst = dst[:len(x)]
	for r := 0; r+iw <= len(x); r += iw {
		src, d := x[r:r+iw], dst[r:r+iw]
		if s == 2 {
			// Even columns to d[:half], odd ones to d[half:] (the NaN
			// report is not needed here).
			half := (iw + 1) / 2
			deinterleave(d[:half], d[half:], src)
			continue
		}
		k := 0
		for q := 0; q < s; q++ {
			for j := q; j < iw; j += s {
				d[k] = src[j]
				k++
			}
		}
	}
}

// planeNaN computes the plane as depthwise did before the row kernels, for
// weights that hold a NaN: when both operands of a product or a sum are NaN,
// the result is the first operand, and that former code takes the weight or
// the input first depending on where the column falls in the row. Over
// each output row, tap by tap: axpy for unstrided rows, a scalar loop
// otherwise.
func (p *dwPlan) planeNaN(ys, xs, wt []float32, bv float32) {
	g := p.g
	for i := range ys {
		ys[i] = bv
	}
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
						lo, hi, x0 := p.lo[tc], p.hi[tc], p.x0[tc]
						if lo >= hi {
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
}

// axpy computes d[j] += a*s[j], the product rounded before the sum.
func axpy(d []float32, a float32, s []float32) {
	d = d[:len(s)]
	if useAVX2 && len(s) >= 8 {
		axpyAVX2(len(s), a, &s[0], &d[0])
		return
	}
	for j, v := range s {
		d[j] += float32(a * v) // the conversion rules out a fused multiply-add
	}
}
