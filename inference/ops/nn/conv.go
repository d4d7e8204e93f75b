package nn

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// convKernel is a compiled Conv node (float32).
type convKernel struct {
	attrs windowAttrs
	group int
	// packed holds the weights of each group packed for sgemmPacked when W
	// is a constant of shape packedShape; nil otherwise.
	packed      [][]float32
	packedShape []int
	// scratch recycles im2col buffers (*[]float32) between runs; shared,
	// when set, is the program's Scratch and is used instead.
	scratch sync.Pool
	shared  *kernel.Scratch
	// epi, when non-nil, is fused into the output (see kernel.Fuser).
	epi *kernel.Epilogue
}

// Fuse implements kernel.Fuser for a residual Add and an activation.
func (k *convKernel) Fuse(e kernel.Epilogue) (kernel.Kernel, bool) {
	if e.Bias != nil || k.epi != nil {
		return nil, false
	}
	return &convKernel{attrs: k.attrs, group: k.group, packed: k.packed, packedShape: k.packedShape, shared: k.shared, epi: &e}, true
}

// UseScratch implements kernel.ScratchUser.
func (k *convKernel) UseScratch(s *kernel.Scratch) { k.shared = s }

// PackedInputs implements kernel.Packer: W when it was packed at build time
// and the convolution is not depthwise (which reads W itself).
func (k *convKernel) PackedInputs() []int {
	if k.packed == nil {
		return nil
	}
	if m, cg := k.packedShape[0], k.packedShape[1]; isDepthwise(cg, m, k.group) {
		return nil
	}
	return []int{1}
}

func buildConv(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
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
	k := &convKernel{attrs: attrs, group: int(group)}
	if len(consts) > 1 && consts[1] != nil {
		w := consts[1]
		if err := k.checkWeights(w); err != nil {
			return nil, err
		}
		k.packed = packConvWeights(w, k.group)
		k.packedShape = append([]int{}, w.Shape...)
	}
	return k, nil
}

func (k *convKernel) checkWeights(w *tensor.Tensor) error {
	if w.DType != tensor.Float32 {
		return fmt.Errorf("input W has type %s, want float32", w.DType)
	}
	if w.Rank() < 3 {
		return fmt.Errorf("input W has shape %v, want rank >= 3 (M, C/group, k...)", w.Shape)
	}
	if err := k.attrs.check(w.Rank() - 2); err != nil {
		return err
	}
	if w.Shape[0]%k.group != 0 {
		return fmt.Errorf("W has %d output channels, not a multiple of group %d", w.Shape[0], k.group)
	}
	if ks := k.attrs.kernelShape; ks != nil {
		for i, v := range ks {
			if w.Shape[2+i] != v {
				return fmt.Errorf("kernel_shape %v does not match W shape %v", ks, w.Shape)
			}
		}
	}
	return nil
}

// packConvWeights packs W (M, C/group, k...) as group matrices of
// (M/group) × (C/group·prod(k)).
func packConvWeights(w *tensor.Tensor, group int) [][]float32 {
	m := w.Shape[0] / group
	kk := tensor.NumElements(w.Shape[1:])
	data := w.Float32s()
	out := make([][]float32, group)
	for g := range out {
		out[g] = make([]float32, packedSizeA(m, kk))
		packA(out[g], m, kk, data[g*m*kk:], kk, false, 1)
	}
	return out
}

func (k *convKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var res *tensor.Tensor
	if k.epi != nil && k.epi.Residual {
		i := k.epi.ResidualInput
		res, inputs = kernel.Input(inputs, i), inputs[:i]
		if res == nil {
			return nil, fmt.Errorf("missing the fused residual (input %d)", i)
		}
	}
	if err := kernel.NeedInputs(inputs, 2); err != nil {
		return nil, err
	}
	x, w, b := inputs[0], inputs[1], kernel.Input(inputs, 2)
	if x.DType != tensor.Float32 {
		return nil, fmt.Errorf("input X has type %s, want float32", x.DType)
	}
	if err := k.checkWeights(w); err != nil {
		return nil, err
	}
	if x.Rank() != w.Rank() {
		return nil, fmt.Errorf("input X has shape %v and W %v: ranks differ", x.Shape, w.Shape)
	}
	batch, c := x.Shape[0], x.Shape[1]
	m, cg := w.Shape[0], w.Shape[1]
	if c != cg*k.group {
		return nil, fmt.Errorf("X has %d channels, W expects %d×group %d", c, cg, k.group)
	}
	if b != nil {
		if b.DType != tensor.Float32 || b.Len() != m || b.Rank() != 1 {
			return nil, fmt.Errorf("input B is %v, want float32[%d]", b, m)
		}
	}
	g, err := resolveWindow(k.attrs, x.Shape[2:], w.Shape[2:], false)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, append([]int{batch, m}, g.outShape()...)...)
	var resData []float32
	if res != nil {
		if res.DType != tensor.Float32 || !tensor.SameShape(res.Shape, y.Shape) {
			return nil, kernel.ErrNotFused
		}
		resData = res.Float32s()
	}
	var bias []float32
	if b != nil {
		bias = b.Float32s()
	}
	packed := k.packed
	if packed == nil || !tensor.SameShape(k.packedShape, w.Shape) {
		packed = packConvWeights(w, k.group)
	}
	need := convScratch(batch, c, m, k.group, &g)
	if k.shared != nil {
		buf := k.shared.Get(need)
		convForward(y.Float32s(), x.Float32s(), packed, w.Float32s(), bias, buf, batch, c, m, k.group, &g, k.epi, resData)
		k.shared.Put(buf)
		return []*tensor.Tensor{y}, nil
	}
	buf, _ := k.scratch.Get().(*[]float32)
	if buf == nil || cap(*buf) < need {
		s := make([]float32, need)
		buf = &s
	}
	convForward(y.Float32s(), x.Float32s(), packed, w.Float32s(), bias, (*buf)[:need], batch, c, m, k.group, &g, k.epi, resData)
	k.scratch.Put(buf)
	return []*tensor.Tensor{y}, nil
}

// isDepthwise reports whether a convolution with cg input channels per
// group, m output channels and group groups has one input and one output
// channel per group (depthwise computes it).
func isDepthwise(cg, m, group int) bool { return cg == 1 && m == group && group > 1 }

// convForward computes a grouped convolution with im2col and sgemmPacked.
//
// Naive reference (per batch n, output channel o in group gr, output
// position p, with i the input position of kernel tap t):
//
//	y[n,o,p] = sum_{ci<C/group, t} w[o,ci,t] * x[n, gr·C/group+ci, i(p,t)] + bias[o]
//
// where taps falling into the padding contribute zero; the sum runs in
// k-blocks as in sgemmPacked and the bias is added last.
//
// Ungrouped windows over one or two axes with large outputs skip the
// im2col matrix: their product packs B from x a k-block at a time
// (sgemmImplicit, the same bits). pb is scratch space of convScratch
// elements. epi, when non-nil, is applied to y (with res, y's shape, as its
// residual).
func convForward(y, x []float32, packed [][]float32, w, bias, pb []float32, batch, c, m, group int, g *window, epi *kernel.Epilogue, res []float32) {
	cg, mg := c/group, m/group
	ks := g.kSize()
	kk := cg * ks
	in, out := g.inSize(), g.outSize()
	if out == 0 {
		return
	}
	if isDepthwise(cg, m, group) {
		depthwise(y, x, w, bias, batch*c, g, epi, res, pb)
		return
	}
	pointwise := isPointwise(g)
	implicit := !pointwise && useImplicit(g, group)
	one := func(n, gr int, pb []float32, parallel bool) {
		xs := x[(n*c+gr*cg)*in : (n*c+(gr+1)*cg)*in]
		switch {
		case pointwise:
			packB(pb, kk, out, xs, out, false)
		case !implicit:
			im2colPacked(pb, xs, cg, g, parallel)
		}
		ys := y[(n*m+gr*mg)*out : (n*m+(gr+1)*mg)*out]
		var post tilePost
		if bias != nil || epi != nil {
			var rs, bs []float32
			if res != nil {
				rs = res[(n*m+gr*mg)*out : (n*m+(gr+1)*mg)*out]
			}
			if bias != nil {
				bs = bias[gr*mg : (gr+1)*mg]
			}
			// The bias is added to each finished block while it is in
			// cache, after the k-blocks (not as C's initial value).
			// AddApply adds the row's bias and applies the epilogue (if
			// any) in one pass.
			post = func(i0, i1, j0, j1 int) {
				for i := i0; i < i1; i++ {
					row := ys[i*out+j0 : i*out+j1]
					var r []float32
					if rs != nil {
						r = rs[i*out+j0 : i*out+j1]
					}
					if bs != nil {
						epi.AddApply(row, r, j0, bs[i])
					} else {
						epi.Apply(row, r, j0)
					}
				}
			}
		}
		if implicit {
			sgemmImplicit(mg, out, kk, packed[gr], xs, g, ys, out, parallel, post, pb)
			return
		}
		sgemmPackedPost(mg, out, kk, packed[gr], pb, ys, out, false, parallel, post)
	}
	// Many small groups (ResNeXt) run a group per goroutine; otherwise
	// each product uses every goroutine. Either way a group's output has
	// the same bits.
	if w := workers(2*batch*m*out*kk, batch*group); group >= 4 && w > 1 {
		bufs := make(chan []float32, w)
		bufs <- pb
		for i := 1; i < w; i++ {
			bufs <- make([]float32, len(pb))
		}
		parallelFor(w, batch*group, func(u int) {
			b := <-bufs
			one(u/group, u%group, b, false)
			bufs <- b
		})
		return
	}
	for n := 0; n < batch; n++ {
		for gr := 0; gr < group; gr++ {
			one(n, gr, pb, true)
		}
	}
}

// isPointwise reports whether window g is a 1x1 convolution without strides
// or pads, whose im2col matrix is its input.
func isPointwise(g *window) bool {
	if g.kSize() != 1 {
		return false
	}
	for i := 0; i < maxSpatial; i++ {
		if g.s[i] != 1 || g.pb[i] != 0 || g.pe[i] != 0 {
			return false
		}
	}
	return true
}

// convScratch is the length of the scratch convForward needs for batch
// inputs of c channels and m output channels in group groups: the packed
// im2col matrix of one group, an implicit product's buffers for
// GOMAXPROCS goroutines, or dwScratch for a depthwise convolution.
func convScratch(batch, c, m, group int, g *window) int {
	cg := c / group
	switch {
	case isDepthwise(cg, m, group):
		return dwScratch(batch*c, g, dwBestISA())
	case !isPointwise(g) && useImplicit(g, group):
		return implicitScratch(runtime.GOMAXPROCS(0))
	}
	return packedSizeB(cg*g.kSize(), g.outSize())
}

// im2colPacked writes the im2col matrix of one group (rows: channel and
// kernel tap, columns: output positions) of x (cg channels of g.in) directly
// in the packed right-operand layout of packB.
func im2colPacked(dst, x []float32, cg int, g *window, parallel bool) {
	if g.s[2] == 2 && g.in[0] == 1 && g.k[0] == 1 && g.out[0] == 1 && g.pb[0] == 0 {
		im2colPackedStride2(dst, x, cg, g, parallel)
		return
	}
	im2colPackedRows(dst, x, cg, g, parallel, im2colRow)
}

// im2colPackedRows is im2colPacked with fill writing each row.
func im2colPackedRows(dst, x []float32, cg int, g *window, parallel bool, fill func(*packedRow, []float32, int, *window)) {
	ks := g.kSize()
	kk := cg * ks
	out := g.outSize()
	np := roundUp(out, nr)
	const rowsPerUnit = 16
	units := (kk + rowsPerUnit - 1) / rowsPerUnit
	w := 1
	if parallel {
		w = workers(kk*out*8, units)
	}
	parallelFor(w, units, func(u int) {
		for r := u * rowsPerUnit; r < min(kk, (u+1)*rowsPerUnit); r++ {
			k0 := r / kcBlock * kcBlock
			kb := min(kcBlock, kk-k0)
			pr := packedRow{dst: dst[k0*np+(r-k0)*nr:], stride: kb * nr}
			fill(&pr, x, r, g)
			pr.zero(out, np-out)
		}
	})
}

// packedRow addresses one row of a packed right operand: column j lives at
// dst[(j/nr)*stride + j%nr].
type packedRow struct {
	dst    []float32
	stride int
}

// put copies src to columns [j, j+len(src)).
func (p *packedRow) put(j int, src []float32) {
	for len(src) > 0 {
		c := min(nr-j%nr, len(src))
		o := (j/nr)*p.stride + j%nr
		if c == nr {
			*(*[nr]float32)(p.dst[o : o+nr]) = *(*[nr]float32)(src[:nr])
		} else {
			copy(p.dst[o:o+c], src[:c])
		}
		src = src[c:]
		j += c
	}
}

// putStrided copies src[0], src[s], ..., src[(n-1)·s] to columns [j, j+n).
func (p *packedRow) putStrided(j int, src []float32, s, n int) {
	for n > 0 {
		c := min(nr-j%nr, n)
		o := (j/nr)*p.stride + j%nr
		d := p.dst[o : o+c]
		_ = src[(c-1)*s]
		for q := range d {
			d[q] = src[q*s]
		}
		src = src[min(c*s, len(src)):]
		n -= c
		j += c
	}
}

// zero clears columns [j, j+n).
func (p *packedRow) zero(j, n int) {
	for n > 0 {
		c := min(nr-j%nr, n)
		o := (j/nr)*p.stride + j%nr
		clear(p.dst[o : o+c])
		n -= c
		j += c
	}
}

// im2colRow fills columns [0, outSize) of row with the input values seen by
// kernel row r (channel r / kSize, tap r % kSize) at every output position.
// It writes the same values as im2colRowGeneric, faster for the common
// shapes: when rows are neither strided nor resized (stride 1 on the last
// two axes, output width = input width), the valid output rows of a depth
// slice read one contiguous run of the input, copied at once, after which
// the padding columns are cleared; column stride 2 goes through
// im2colRowStride2. Other windows go through im2colRowGeneric.
func im2colRow(row *packedRow, x []float32, r int, g *window) {
	if g.s[2] == 2 {
		im2colRowStride2(row, x, r, g)
		return
	}
	if g.s[2] != 1 || g.s[1] != 1 || g.out[2] != g.in[2] {
		im2colRowGeneric(row, x, r, g)
		return
	}
	plane, ta, tb, x0 := im2colTap(x, r, g)
	od, oh, ow := g.out[0], g.out[1], g.out[2]
	id, ih, iw := g.in[0], g.in[1], g.in[2]
	lo, hi := rowSpan(x0, ow, iw, 1)
	y0 := tb*g.d[1] - g.pb[1]
	// Output rows [b0, b1) read inside the input.
	b0 := min(oh, max(0, -y0))
	b1 := max(b0, min(oh, ih-y0))
	sl := oh * ow
	for a := 0; a < od; a++ {
		base := a * sl
		z := a*g.s[0] - g.pb[0] + ta*g.d[0]
		if z < 0 || z >= id || b0 == b1 {
			row.zero(base, sl)
			continue
		}
		row.zero(base, b0*ow)
		// Output column p of the slice (p = b·ow + x) reads plane[p+shift]
		// when it reads inside the input; the positions clipped here to
		// the plane, like every column outside [lo, hi), are padding.
		shift := (z*ih+y0)*iw + x0
		p0 := max(b0*ow, -shift)
		p1 := min(b1*ow, len(plane)-shift)
		if p0 < p1 {
			row.put(base+p0, plane[p0+shift:p1+shift])
		}
		if lo > 0 || hi < ow {
			for b := b0; b < b1; b++ {
				j := base + b*ow
				row.zeroFew(j, lo)
				row.zeroFew(j+hi, ow-hi)
			}
		}
		row.zero(base+b1*ow, (oh-b1)*ow)
	}
}

// im2colTap returns the input plane of kernel row r (channel r / kSize, tap
// r % kSize), the tap's offsets along the first two axes and the input
// column x0 that output column 0 reads along the last.
func im2colTap(x []float32, r int, g *window) (plane []float32, ta, tb, x0 int) {
	ks := g.kSize()
	ch, t := r/ks, r%ks
	tc := t % g.k[2]
	return x[ch*g.inSize() : (ch+1)*g.inSize()], t / (g.k[1] * g.k[2]), t / g.k[2] % g.k[1], tc*g.d[2] - g.pb[2]
}

// rowSpan returns the output columns [lo, hi) that read inside an input row
// of iw values, output column j reading input column j·sw + x0.
func rowSpan(x0, ow, iw, sw int) (lo, hi int) {
	hi = ow
	if x0 < 0 {
		lo = min(ow, (-x0+sw-1)/sw)
	}
	if last := iw - 1 - x0; last < 0 {
		hi = 0
	} else {
		hi = min(ow, last/sw+1)
	}
	return lo, max(hi, lo)
}

// zeroFew clears columns [j, j+n), one at a time (for a few columns).
func (p *packedRow) zeroFew(j, n int) {
	for ; n > 0; n-- {
		p.dst[(j/nr)*p.stride+j%nr] = 0
		j++
	}
}

// im2colRowGeneric is im2colRow for any window, one output row at a time.
func im2colRowGeneric(row *packedRow, x []float32, r int, g *window) {
	plane, ta, tb, x0 := im2colTap(x, r, g)
	od, oh, ow := g.out[0], g.out[1], g.out[2]
	id, ih, iw := g.in[0], g.in[1], g.in[2]
	sw := g.s[2]
	// Output columns [lo, hi) read inside the input row.
	lo, hi := rowSpan(x0, ow, iw, sw)
	idx := 0
	for a := 0; a < od; a++ {
		z := a*g.s[0] - g.pb[0] + ta*g.d[0]
		if z < 0 || z >= id {
			row.zero(idx, oh*ow)
			idx += oh * ow
			continue
		}
		for b := 0; b < oh; b++ {
			yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
			if yy < 0 || yy >= ih {
				row.zero(idx, ow)
				idx += ow
				continue
			}
			src := plane[(z*ih+yy)*iw : (z*ih+yy+1)*iw]
			row.zero(idx, lo)
			row.zero(idx+hi, ow-hi)
			switch {
			case sw == 1:
				row.put(idx+lo, src[lo+x0:hi+x0])
			case hi > lo:
				// (With lo = hi = ow, src[lo*sw+x0:] may start past
				// the row.)
				row.putStrided(idx+lo, src[lo*sw+x0:], sw, hi-lo)
			}
			idx += ow
		}
	}
}
