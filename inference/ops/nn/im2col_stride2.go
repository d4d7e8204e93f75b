package nn

// The im2col packing of windows with column stride 2 (see im2colPacked and
// im2colRow).

// im2colPackedStride2 is im2colPacked for 1-D and 2-D windows with column
// stride 2. A unit of work is a band of output rows of one k-block, whose
// columns start and end on a panel boundary when the output width allows
// it (and, if possible, fill 128 columns): for each kernel row in turn,
// the band's output rows are gathered into a buffer, copied to the panels
// at once, so that the unit's writes stay within the band's few panels.
// An output row that reads inside an input row takes its even values; its
// padding columns, and the output rows that read only padding, are cleared.
func im2colPackedStride2(dst, x []float32, cg int, g *window, parallel bool) {
	kk := cg * g.kSize()
	oh, ow := g.out[1], g.out[2]
	ih, iw := g.in[1], g.in[2]
	out := oh * ow
	np := roundUp(out, nr)
	// band·ow is a multiple of nr.
	band := nr / gcd(ow, nr)
	for band*ow < 128 {
		band *= 2
	}
	band = min(band, oh)
	bands := (oh + band - 1) / band
	units := (kk + kcBlock - 1) / kcBlock * bands
	w := 1
	if parallel {
		w = workers(kk*out*8, units)
	}
	parallelFor(w, units, func(u int) {
		k0 := u / bands * kcBlock
		kb := min(kcBlock, kk-k0)
		b0 := u % bands * band
		b1 := min(oh, b0+band)
		var stack [256]float32
		var buf []float32
		if n := (b1 - b0) * ow; n <= len(stack) {
			buf = stack[:n]
		} else {
			buf = make([]float32, n)
		}
		for r := k0; r < k0+kb; r++ {
			pr := packedRow{dst: dst[k0*np+(r-k0)*nr:], stride: kb * nr}
			plane, _, tb, x0 := im2colTap(x, r, g)
			lo, hi := rowSpan(x0, ow, iw, 2)
			y0 := tb*g.d[1] - g.pb[1]
			for b := b0; b < b1; b++ {
				seg := buf[(b-b0)*ow:][:ow]
				yy := b*g.s[1] + y0
				if yy < 0 || yy >= ih || lo == hi {
					clear(seg)
					continue
				}
				clear(seg[:lo])
				gatherEven(seg[lo:hi], plane[yy*iw+lo*2+x0:(yy+1)*iw])
				clear(seg[hi:])
			}
			pr.put(b0*ow, buf)
			if b1 == oh {
				pr.zero(out, np-out)
			}
		}
	})
}

// gcd returns the greatest common divisor of a and b (a, b > 0).
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// im2colRowStride2 is im2colRow for windows with column stride 2. The
// output rows [b0, b1) that read inside the input take the even values of
// their input row run a packed piece at a time, between their padding
// columns; the output rows and depth slices that read only padding are
// cleared in one run each.
func im2colRowStride2(row *packedRow, x []float32, r int, g *window) {
	plane, ta, tb, x0 := im2colTap(x, r, g)
	od, oh, ow := g.out[0], g.out[1], g.out[2]
	id, ih, iw := g.in[0], g.in[1], g.in[2]
	lo, hi := rowSpan(x0, ow, iw, 2)
	y0 := tb*g.d[1] - g.pb[1]
	b0, b1 := rowSpan(y0, oh, ih, g.s[1])
	sl := oh * ow
	for a := 0; a < od; a++ {
		base := a * sl
		z := a*g.s[0] - g.pb[0] + ta*g.d[0]
		if z < 0 || z >= id || b0 == b1 || lo == hi {
			row.zero(base, sl)
			continue
		}
		row.zero(base, b0*ow)
		for b := b0; b < b1; b++ {
			j := base + b*ow
			src := plane[(z*ih+b*g.s[1]+y0)*iw:][:iw]
			row.zeroFew(j, lo)
			row.putEven(j+lo, src[lo*2+x0:], hi-lo)
			row.zeroFew(j+hi, ow-hi)
		}
		row.zero(base+b1*ow, (oh-b1)*ow)
	}
}

// putEven copies src[0], src[2], ..., src[2(n-1)] to columns [j, j+n).
func (p *packedRow) putEven(j int, src []float32, n int) {
	for n > 0 {
		c := min(nr-j%nr, n)
		o := (j/nr)*p.stride + j%nr
		gatherEven(p.dst[o:o+c], src)
		src = src[min(2*c, len(src)):]
		n -= c
		j += c
	}
}

// gatherEven sets e[i] = x[2i] for i < len(e); x holds at least 2·len(e)-1
// values.
func gatherEven(e, x []float32) {
	n := len(e)
	if n == 0 {
		return
	}
	_ = x[2*n-2]
	i := 0
	if useAVX2 && n >= 8 {
		// The vector loop reads x[0:2i], inside x.
		i = min(n, len(x)/2) &^ 7
		if i > 0 {
			evensAVX2(i, &x[0], &e[0])
		}
	}
	for ; i < n; i++ {
		e[i] = x[2*i]
	}
}
