package nn

// The implicit GEMM of a convolution: the right operand of the product is
// the im2col matrix of the input, but instead of writing all of it (kernel
// size times the input, for a 3x3 window nine times) and packing from
// there, each unit of work packs one k-block of its own columns straight
// from the input image into a small buffer, just before the micro-kernels
// read it. The k-blocks, the panels and every element's FMA chain are those
// of im2colPacked followed by sgemmPackedPost, so the bits are the same.

// implicitWidth is the number of output columns (positions) a unit of the
// implicit product owns: a multiple of 2·nr, so that AVX-512 pairs stay
// whole.
const implicitWidth = ncBlock

// useImplicit reports whether convForward runs the product of a
// convolution with window g and group groups that is not pointwise as an
// implicit GEMM: ungrouped windows over one or two axes (the depth axis of
// size 1) whose output has enough columns for several units per goroutine.
// Smaller outputs keep im2col, whose matrix then fits in cache
// (BenchmarkImplicitGemm: ResNet18's 14x14 and 7x7 layers are slower
// implicit), and so do grouped convolutions, whose products of a few rows
// per group (ResNeXt) leave too little work per packed k-block.
func useImplicit(g *window, group int) bool {
	if group != 1 || g.in[0] != 1 || g.k[0] != 1 || g.out[0] != 1 {
		return false
	}
	return g.outSize() >= 4*implicitWidth
}

// implicitScratch is the scratch an implicit product needs for w
// goroutines: one packed k-block of implicitWidth columns each.
func implicitScratch(w int) int { return w * kcBlock * implicitWidth }

// sgemmImplicit computes c = A·B for A packed by packA (m×k) and B the
// im2col matrix of x (k = channels·g.kSize() rows, n = g.outSize() columns,
// as im2colPacked writes it), calling post on every finished block as
// sgemmPackedPost does. A unit of work is a run of implicitWidth columns
// and all rows; for each k-block in order it packs the unit's columns of
// that block into a buffer (im2colBlock) and adds their product into c.
// scratch holds the buffers (implicitScratch of the goroutines used), or
// is allocated when shorter. The bits do not depend on the goroutines.
func sgemmImplicit(m, n, k int, pa, x []float32, g *window, c []float32, ldc int, parallel bool, post tilePost, scratch []float32) {
	if m == 0 || n == 0 {
		return
	}
	units := (n + implicitWidth - 1) / implicitWidth
	w := 1
	if parallel {
		w = workers(2*m*n*k, units)
	}
	size := implicitScratch(1)
	bufs := make(chan []float32, w)
	for i := 0; i < w; i++ {
		if len(scratch) >= (i+1)*size {
			bufs <- scratch[i*size : (i+1)*size]
		} else {
			bufs <- make([]float32, size)
		}
	}
	mp := roundUp(m, mr)
	parallelFor(w, units, func(u int) {
		buf := <-bufs
		defer func() { bufs <- buf }()
		j0, j1 := u*implicitWidth, min(n, (u+1)*implicitWidth)
		for k0 := 0; k0 < k; k0 += kcBlock {
			kb := min(kcBlock, k-k0)
			im2colBlock(buf, x, g, k0, kb, j0, j1)
			last := k0+kb == k
			for i0 := 0; i0 < m; i0 += mcBlock {
				i1 := min(m, i0+mcBlock)
				sgemmBlock(kb, pa[k0*mp:], buf, j0, c, ldc, k0 > 0, i0, i1, j0, j1)
				if last && post != nil {
					// Finished, and still in cache.
					post(i0, i1, j0, j1)
				}
			}
		}
	})
}

// im2colBlock writes rows [k0, k0+kb) and columns [j0, j1) of the im2col
// matrix of x under window g (depth 1; j1-j0 <= implicitWidth) to dst in
// the layout of one k-block of packB, columns counted from j0 (j0 a
// multiple of nr): column j of row k0+q at dst[((j-j0)/nr)·kb·nr + q·nr +
// (j-j0)%nr]. The values are im2colPacked's; the columns from j1 to the end
// of the last panel are zero.
func im2colBlock(dst, x []float32, g *window, k0, kb, j0, j1 int) {
	ow := g.out[2]
	ih, iw := g.in[1], g.in[2]
	sh, sw := g.s[1], g.s[2]
	cols := j1 - j0
	pad := roundUp(cols, nr) - cols
	// Output rows [bf, bl] hold the columns.
	bf, bl := j0/ow, (j1-1)/ow
	contiguous := sw == 1 && sh == 1 && ow == iw
	// Row r reads channel ch at tap (tb, tc), stepped along without
	// dividing; the spans of the first taps along the row are kept.
	in, ks, kw := g.inSize(), g.kSize(), g.k[2]
	ch, t := k0/ks, k0%ks
	tb, tc := t/kw, t%kw
	var spans [8][2]int
	for i := range min(kw, len(spans)) {
		spans[i][0], spans[i][1] = rowSpan(i*g.d[2]-g.pb[2], ow, iw, sw)
	}
	var segBuf [implicitWidth]float32
	for r := k0; r < k0+kb; r++ {
		pr := packedRow{dst: dst[(r-k0)*nr:], stride: kb * nr}
		plane := x[ch*in : (ch+1)*in]
		x0 := tc*g.d[2] - g.pb[2]
		var lo, hi int
		if tc < len(spans) {
			lo, hi = spans[tc][0], spans[tc][1]
		} else {
			lo, hi = rowSpan(x0, ow, iw, sw)
		}
		y0 := tb*g.d[1] - g.pb[1]
		if tc++; tc == kw {
			tc = 0
			if tb++; tb == g.k[1] {
				tb = 0
				ch++
			}
		}
		if contiguous {
			im2colBlockContiguous(&pr, plane, g, j0, j1, lo, hi, x0, y0)
		} else {
			// The row's columns are gathered into seg, then copied to
			// the panels at once.
			seg := segBuf[:cols]
			for b := bf; b <= bl; b++ {
				// Columns [c0, c1) of output row b, at j in the block.
				c0, c1 := max(j0-b*ow, 0), min(j1-b*ow, ow)
				j := b*ow + c0 - j0
				yy := b*sh + y0
				a, e := max(c0, lo), min(c1, hi)
				if yy < 0 || yy >= ih || a >= e {
					clear(seg[j : j+c1-c0])
					continue
				}
				clear(seg[j : j+a-c0])
				src := plane[yy*iw : (yy+1)*iw]
				switch sw {
				case 1:
					copy(seg[j+a-c0:j+e-c0], src[a+x0:e+x0])
				case 2:
					gatherEven(seg[j+a-c0:j+e-c0], src[a*2+x0:])
				default:
					d := seg[j+a-c0 : j+e-c0]
					s := src[a*sw+x0:]
					_ = s[(len(d)-1)*sw]
					for q := range d {
						d[q] = s[q*sw]
					}
				}
				clear(seg[j+e-c0 : j+c1-c0])
			}
			pr.put(0, seg)
		}
		pr.zero(cols, pad)
	}
}

// im2colBlockContiguous is im2colBlock's row for windows whose rows are
// neither strided nor resized (stride 1, output width = input width), as
// in im2colRow: output position p of a row that reads inside the input
// reads plane[p+shift], so the block's valid positions are one contiguous
// run of the plane, copied at once; the padding columns [0, lo) and
// [hi, ow) of those rows are cleared afterwards, like the rows that read
// only padding.
func im2colBlockContiguous(pr *packedRow, plane []float32, g *window, j0, j1, lo, hi, x0, y0 int) {
	oh, ow, ih := g.out[1], g.out[2], g.in[1]
	// Output rows [b0, b1) read inside the input.
	b0 := min(oh, max(0, -y0))
	b1 := max(b0, min(oh, ih-y0))
	shift := y0*ow + x0
	p0 := max(j0, b0*ow, -shift)
	p1 := min(j1, b1*ow, len(plane)-shift)
	if p0 >= p1 {
		pr.zero(0, j1-j0)
		return
	}
	pr.zero(0, p0-j0)
	pr.put(p0-j0, plane[p0+shift:p1+shift])
	pr.zero(p1-j0, j1-p1)
	if lo == 0 && hi == ow {
		return
	}
	for b := max(b0, j0/ow); b < b1 && b*ow < j1; b++ {
		rs := b * ow
		if s, e := max(rs, j0), min(rs+lo, j1); s < e {
			pr.zeroFew(s-j0, e-s)
		}
		if s, e := max(rs+hi, j0), min(rs+ow, j1); s < e {
			pr.zeroFew(s-j0, e-s)
		}
	}
}
