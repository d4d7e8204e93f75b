//go:build !purego

package nn

// stridedAccFirst says that the former depthwise code's scalar loop for
// strided rows, as compiled for this build, added the product to the
// accumulator with the accumulator as the first operand (so a NaN
// accumulator wins over a NaN product); the assembly does the same.
const stridedAccFirst = true

// planeAsm is plane with the AVX2 or AVX-512 kernel (isa).
func (p *dwPlan) planeAsm(ys, xs, wt []float32, bv float32, isa dwISA) {
	nout := len(p.rowStart) - 1
	// The kernels read the plan's offsets inside a plane of g.inSize()
	// values and weights inside g.kSize(): check the slices hold them.
	ys = ys[:nout*p.ow]
	xs = xs[:p.g.inSize()]
	wt = wt[:p.g.kSize()]
	var rows *dwTapRow
	if len(p.rows) > 0 {
		rows = &p.rows[0]
	}
	var edges *int
	var masks *uint32
	if len(p.edges) > 0 {
		edges, masks = &p.edges[0], &p.masks[0]
	}
	f, f4 := dwPlaneAVX2, dwRows4AVX2
	if isa == dwAVX512 {
		f, f4 = dwPlaneAVX512, dwRows4AVX512
	}
	ow := p.ow
	for i := 0; i < nout; {
		if p.four[i] {
			r := p.rows[p.rowStart[i]:p.rowStart[i+1]]
			f4(&ys[i*ow], &xs[0], &wt[0], bv, &r[0], len(r), p.step[i], ow, &p.cols[0], p.kw, p.full0, p.nfull, edges, len(p.edges), masks, p.sw == 1)
			i += 4
			continue
		}
		// Rows [i, j) one at a time.
		j := i + 1
		for j < nout && !p.four[j] {
			j++
		}
		f(&ys[i*ow], &xs[0], &wt[0], bv, rows, &p.rowStart[i], j-i, ow, &p.cols[0], p.kw, p.full0, p.nfull, edges, len(p.edges), masks, p.sw == 1)
		i = j
	}
}

// dwPlaneAVX512 computes nout output rows of ow values at dst, as
// dwPlan.planeGo does, with 16 lanes: see dwPlan for the arguments. Each sum
// reads the product first when prodFirst, else the accumulator (which
// operand a NaN result comes from when both are NaN; see planeGo).
//
//go:noescape
func dwPlaneAVX512(dst, src, w *float32, bias float32, rows *dwTapRow, rowStart *int, nout, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)

// dwPlaneAVX2 is dwPlaneAVX512 with 8 lanes.
//
//go:noescape
func dwPlaneAVX2(dst, src, w *float32, bias float32, rows *dwTapRow, rowStart *int, nout, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)

// dwRows4AVX512 computes four output rows at dst (ow values apart) that
// read the n tap rows rows[:n], each row's input d values further than the
// previous one's, with 16 lanes: the sums of dwPlaneAVX512.
//
//go:noescape
func dwRows4AVX512(dst, src, w *float32, bias float32, rows *dwTapRow, n, d, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)

// dwRows4AVX2 is dwRows4AVX512 with 8 lanes.
//
//go:noescape
func dwRows4AVX2(dst, src, w *float32, bias float32, rows *dwTapRow, n, d, ow int, cols *int, kw, full0, nfull int, edges *int, nedges int, masks *uint32, prodFirst bool)
