package nn

import "github.com/papdl/papdl/inference/ops/kernel"

// Winograd F(2x2, 3x3) for 3x3 convolutions with stride 1 and dilation 1:
// every 2x2 block of outputs is computed from a 4x4 input tile with 16
// products instead of 36. The weights are transformed once (U = G·g·Gᵀ),
// each input tile per run (V = Bᵀ·d·B), the 16 element-wise products over
// channels are 16 matrix products (sgemmPacked), and each 4x4 result m
// gives the outputs Aᵀ·m·A. Every value is computed in a fixed order, so the
// result is the same on every run and for any number of goroutines; it
// differs from the direct sum by rounding only (a few ulps).

// winoMinChannels is the fewest input and output channels for which the
// transforms pay off.
const winoMinChannels = 16

// winogradEligible reports whether a Conv of W's shape and these attributes
// can run as Winograd F(2x2, 3x3) (the pads are checked at run time).
func winogradEligible(wShape []int, group int, attrs windowAttrs) bool {
	if group != 1 || len(wShape) != 4 || wShape[2] != 3 || wShape[3] != 3 {
		return false
	}
	if wShape[0] < winoMinChannels || wShape[1] < winoMinChannels {
		return false
	}
	for _, v := range attrs.strides {
		if v != 1 {
			return false
		}
	}
	for _, v := range attrs.dilations {
		if v != 1 {
			return false
		}
	}
	return true
}

// packWinogradWeights transforms W (M, C, 3, 3) into the 16 matrices
// U[ξ] (M×C), U[ξ][o, c] = (G·w[o,c]·Gᵀ)[ξ/4, ξ%4], each packed as a left
// operand of sgemmPacked.
func packWinogradWeights(w []float32, m, c int) [][]float32 {
	u := make([][]float32, 16)
	plain := make([][]float32, 16)
	for x := range plain {
		plain[x] = make([]float32, m*c)
	}
	for o := 0; o < m; o++ {
		for ci := 0; ci < c; ci++ {
			g := w[(o*c+ci)*9 : (o*c+ci)*9+9]
			// Gg (4x3), then (Gg)Gᵀ (4x4), in float64.
			var gg [4][3]float64
			for j := 0; j < 3; j++ {
				a, b, d := float64(g[j]), float64(g[3+j]), float64(g[6+j])
				gg[0][j] = a
				gg[1][j] = (a + b + d) / 2
				gg[2][j] = (a - b + d) / 2
				gg[3][j] = d
			}
			for r := 0; r < 4; r++ {
				a, b, d := gg[r][0], gg[r][1], gg[r][2]
				row := [4]float64{a, (a + b + d) / 2, (a - b + d) / 2, d}
				for q := 0; q < 4; q++ {
					plain[r*4+q][o*c+ci] = float32(row[q])
				}
			}
		}
	}
	for x := range u {
		u[x] = make([]float32, packedSizeA(m, c))
		packA(u[x], m, c, plain[x], c, false, 1)
	}
	return u
}

// winogradConv computes one batch entry: y (m planes of oh×ow) from x
// (c planes of ih×iw) with begin pads pt (top) and pl (left), then adds
// bias and applies epi (with res, y's layout, as the residual).
// v is scratch of 16·packedSizeB(c, tiles) and mo of 16·m·tiles elements.
//
// Naive reference: as convForward with a 3x3 kernel, stride 1, dilation 1.
func winogradConv(y, x []float32, u [][]float32, bias []float32, m, c, ih, iw, oh, ow, pt, pl int, v, mo []float32, epi *kernel.Epilogue, res []float32) {
	th, tw := (oh+1)/2, (ow+1)/2
	tiles := th * tw
	np := roundUp(tiles, nr)
	vs := packedSizeB(c, tiles)
	// Input transform, channel by channel, into the packed right operands:
	// per row of tiles, the vertical half (Bᵀd) over whole zero-padded rows,
	// then the horizontal half per tile.
	wp := 2*tw + 2
	parallelFor(workers(c*tiles*64, c), c, func(ci int) {
		plane := x[ci*ih*iw : (ci+1)*ih*iw]
		k0 := ci / kcBlock * kcBlock
		kb := min(kcBlock, c-k0)
		base := k0*np + (ci-k0)*nr
		for t := tiles; t < np; t++ {
			off := base + (t/nr*nr)*kb + t%nr
			for xi := 0; xi < 16; xi++ {
				v[xi*vs+off] = 0
			}
		}
		rows := make([]float32, 8*wp)
		var p [4][]float32
		for r := range p {
			p[r] = rows[r*wp : (r+1)*wp]
		}
		t0, t1, t2, t3 := rows[4*wp:5*wp], rows[5*wp:6*wp], rows[6*wp:7*wp], rows[7*wp:8*wp]
		// Columns [lo, hi) of a padded row come from the input.
		lo, hi := min(pl, wp), min(wp, pl+iw)
		for ty := 0; ty < th; ty++ {
			for r := 0; r < 4; r++ {
				yy := 2*ty - pt + r
				pr := p[r]
				if yy < 0 || yy >= ih || lo >= hi {
					clear(pr)
					continue
				}
				clear(pr[:lo])
				copy(pr[lo:hi], plane[yy*iw+lo-pl:yy*iw+hi-pl])
				clear(pr[hi:])
			}
			p0, p1, p2, p3 := p[0], p[1][:wp], p[2][:wp], p[3][:wp]
			for j := range p0 {
				t0[j] = p0[j] - p2[j]
				t1[j] = p1[j] + p2[j]
				t2[j] = p2[j] - p1[j]
				t3[j] = p1[j] - p3[j]
			}
			for tx := 0; tx < tw; tx++ {
				t := ty*tw + tx
				off := base + (t/nr*nr)*kb + t%nr
				j := 2 * tx
				for r, tr := range [4][]float32{t0, t1, t2, t3} {
					q := tr[j : j+4 : j+4]
					a, b, cc, d := q[0], q[1], q[2], q[3]
					vr := v[r*4*vs+off:]
					vr[0] = a - cc
					vr[vs] = b + cc
					vr[2*vs] = cc - b
					vr[3*vs] = b - d
				}
			}
		}
	})
	// The 16 products M[ξ] = U[ξ]·V[ξ] (m×tiles each).
	for xi := 0; xi < 16; xi++ {
		sgemmPacked(m, tiles, c, u[xi], v[xi*vs:(xi+1)*vs], mo[xi*m*tiles:(xi+1)*m*tiles], tiles, false, true)
	}
	// Output transform, plane by plane, then bias and epilogue.
	mt := m * tiles
	parallelFor(workers(m*tiles*64, m), m, func(o int) {
		ys := y[o*oh*ow : (o+1)*oh*ow]
		var bv float32
		if bias != nil {
			bv = bias[o]
		}
		var ms [16][]float32
		for ty := 0; ty < th; ty++ {
			for xi := range ms {
				at := xi*mt + o*tiles + ty*tw
				ms[xi] = mo[at : at+tw : at+tw]
			}
			for r := 0; r < 2; r++ {
				yy := 2*ty + r
				if yy >= oh {
					break
				}
				row := ys[yy*ow : yy*ow+ow]
				// Row r of Aᵀm, then (Aᵀm)A.
				var m0, m1, m2, m3 [4][]float32
				for q := 0; q < 4; q++ {
					m0[q], m1[q], m2[q], m3[q] = ms[q], ms[4+q], ms[8+q], ms[12+q]
				}
				for tx := 0; tx < tw; tx++ {
					var a [4]float32
					for q := 0; q < 4; q++ {
						if r == 0 {
							a[q] = m0[q][tx] + m1[q][tx] + m2[q][tx]
						} else {
							a[q] = m1[q][tx] - m2[q][tx] - m3[q][tx]
						}
					}
					xx := 2 * tx
					row[xx] = a[0] + a[1] + a[2] + bv
					if xx+1 < ow {
						row[xx+1] = a[1] - a[2] - a[3] + bv
					}
				}
			}
		}
		if epi != nil {
			var r []float32
			if res != nil {
				r = res[o*oh*ow : (o+1)*oh*ow]
			}
			epi.Apply(ys, r, 0)
		}
	})
}
