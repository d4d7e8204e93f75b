package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking of the single-precision gemm. A is packed in panels of mr rows and
// B in panels of nr columns, both cut into k-blocks of kcBlock. The k-blocks
// are summed in order into C, so the value of every element of C depends only
// on these constants, never on how tiles are spread over goroutines.
const (
	mr      = 6
	nr      = 16
	kcBlock = 256
	mcBlock = mr * 16
	ncBlock = nr * 8

	// parallelFlops is the work (2*m*n*k) under which gemm stays on the
	// calling goroutine.
	parallelFlops = 1 << 18
)

// packedSizeA is the length of a packed m×k left operand.
func packedSizeA(m, k int) int { return roundUp(m, mr) * k }

// packedSizeB is the length of a packed k×n right operand.
func packedSizeB(k, n int) int { return roundUp(n, nr) * k }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA packs the m×k matrix op(A)·alpha into dst (len packedSizeA(m, k)):
// op(A)[i, p] is a[i*lda+p], or a[p*lda+i] when trans. In k-block
// [k0, k0+kb) the panel of rows [i0, i0+mr) starts at k0*roundUp(m, mr) +
// i0*kb and holds op(A)[i0+r, k0+q] at q*mr + r; rows past m are zero.
func packA(dst []float32, m, k int, a []float32, lda int, trans bool, alpha float32) {
	mp := roundUp(m, mr)
	for k0 := 0; k0 < k; k0 += kcBlock {
		kb := min(kcBlock, k-k0)
		for i0 := 0; i0 < mp; i0 += mr {
			d := dst[k0*mp+i0*kb : k0*mp+i0*kb+kb*mr]
			rows := min(mr, m-i0)
			if rows < mr {
				clear(d)
			}
			if rows == mr && !trans && alpha == 1 {
				packA6(d, a[i0*lda+k0:], lda, kb)
				continue
			}
			for r := 0; r < rows; r++ {
				i := i0 + r
				if trans {
					for q := 0; q < kb; q++ {
						d[q*mr+r] = alpha * a[(k0+q)*lda+i]
					}
				} else {
					row := a[i*lda+k0 : i*lda+k0+kb]
					for q, v := range row {
						d[q*mr+r] = alpha * v
					}
				}
			}
		}
	}
}

// packA6 is packA's inner loop for a whole panel of mr = 6 rows of a
// (leading dimension lda, from its first element), kb columns, alpha 1:
// d[q*6+r] = a[r*lda+q], one output row of the panel per step. (A
// signalling NaN is copied as it is, where alpha·v would quiet it; the
// kernels' products quiet it the same way.)
func packA6(d, a []float32, lda, kb int) {
	const _ = uint(mr-6) + uint(6-mr) // packA6 is written for mr = 6
	a0, a1, a2 := a[:kb], a[lda:lda+kb], a[2*lda:2*lda+kb]
	a3, a4, a5 := a[3*lda:3*lda+kb], a[4*lda:4*lda+kb], a[5*lda:5*lda+kb]
	d = d[:kb*mr]
	for q := range kb {
		o := d[q*mr : q*mr+mr : q*mr+mr]
		o[0], o[1], o[2], o[3], o[4], o[5] = a0[q], a1[q], a2[q], a3[q], a4[q], a5[q]
	}
}

// packB packs the k×n matrix op(B) into dst (len packedSizeB(k, n)):
// op(B)[p, j] is b[p*ldb+j], or b[j*ldb+p] when trans. In k-block
// [k0, k0+kb) the panel of columns [j0, j0+nr) starts at
// k0*roundUp(n, nr) + j0*kb and holds op(B)[k0+q, j0+c] at q*nr + c;
// columns past n are zero.
func packB(dst []float32, k, n int, b []float32, ldb int, trans bool) {
	np := roundUp(n, nr)
	for k0 := 0; k0 < k; k0 += kcBlock {
		kb := min(kcBlock, k-k0)
		for j0 := 0; j0 < np; j0 += nr {
			d := dst[k0*np+j0*kb : k0*np+j0*kb+kb*nr]
			cols := min(nr, n-j0)
			if trans {
				if cols < nr {
					clear(d)
				}
				for c := 0; c < cols; c++ {
					row := b[(j0+c)*ldb+k0 : (j0+c)*ldb+k0+kb]
					for q, v := range row {
						d[q*nr+c] = v
					}
				}
				continue
			}
			for q := 0; q < kb; q++ {
				src := b[(k0+q)*ldb+j0 : (k0+q)*ldb+j0+cols]
				dq := d[q*nr : q*nr+nr]
				copy(dq, src)
				clear(dq[cols:])
			}
		}
	}
}

// workers returns how many goroutines to use for the given work.
func workers(flops int, units int) int {
	w := runtime.GOMAXPROCS(0)
	if f := flops / parallelFlops; f < w {
		w = f
	}
	if units < w {
		w = units
	}
	if w < 1 {
		w = 1
	}
	return w
}

// parallelFor runs body(i) for i in [0, units) on up to w goroutines, handing
// out units in order. The caller guarantees that body(i) writes disjoint
// data, so the result does not depend on w.
func parallelFor(w, units int, body func(i int)) {
	if w <= 1 || units <= 1 {
		for i := 0; i < units; i++ {
			body(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= units {
					return
				}
				body(i)
			}
		}()
	}
	wg.Wait()
}

// sgemmPacked computes C = A·B, or C += A·B when add, for packed A (m×k) and
// B (k×n) and row-major C with leading dimension ldc. It is the one place
// the engine's single-precision matrix products run through.
//
// Naive reference:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += A[i][p] * B[p][j]
//			}
//			if add { c[i*ldc+j] += s } else { c[i*ldc+j] = s }
//		}
//	}
//
// The sum is formed per k-block of kcBlock and the blocks are added into C
// in order; tiles of C go to goroutines whole, so results are bit-identical
// whatever the number of goroutines.
func sgemmPacked(m, n, k int, pa, pb, c []float32, ldc int, add bool, parallel bool) {
	sgemmPackedPost(m, n, k, pa, pb, c, ldc, add, parallel, nil)
}

// tilePost is called once per finished block of C: rows [i0, i1), columns
// [j0, j1), after every k-block has been summed into it, while it is still in
// cache. Calls for different blocks may run concurrently.
type tilePost func(i0, i1, j0, j1 int)

// sgemmPackedPost is sgemmPacked that calls post (when non-nil) on each
// finished block of C.
func sgemmPackedPost(m, n, k int, pa, pb, c []float32, ldc int, add bool, parallel bool, post tilePost) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !add {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		if post != nil {
			post(0, m, 0, n)
		}
		return
	}
	mt := (m + mcBlock - 1) / mcBlock
	nt := (n + ncBlock - 1) / ncBlock
	w := 1
	if parallel {
		w = workers(2*m*n*k, mt*nt)
	}
	parallelFor(w, mt*nt, func(t int) {
		ic, jc := (t/nt)*mcBlock, (t%nt)*ncBlock
		i1, j1 := min(ic+mcBlock, m), min(jc+ncBlock, n)
		sgemmTile(m, n, k, pa, pb, c, ldc, add, ic, i1, jc, j1)
		if post != nil {
			post(ic, i1, jc, j1)
		}
	})
}

// sgemmTile computes rows [i0, i1) and columns [j0, j1) of sgemmPacked.
func sgemmTile(m, n, k int, pa, pb, c []float32, ldc int, add bool, i0, i1, j0, j1 int) {
	mp, np := roundUp(m, mr), roundUp(n, nr)
	for k0 := 0; k0 < k; k0 += kcBlock {
		kb := min(kcBlock, k-k0)
		sgemmBlock(kb, pa[k0*mp:], pb[k0*np:], 0, c, ldc, add || k0 > 0, i0, i1, j0, j1)
	}
}

// sgemmBlock adds (or stores, when !acc) the product of one k-block of
// depth kb into rows [i0, i1) and columns [j0, j1) of c: the A panel of row
// i starts at a[i*kb] and the B panel of column j (j0 and j a multiple of
// nr past jb) at b[(j-jb)*kb], as in the packed layouts of packA and packB.
func sgemmBlock(kb int, a, b []float32, jb int, c []float32, ldc int, acc bool, i0, i1, j0, j1 int) {
	var tmp [mr * nr]float32
	for j := j0; j < j1; j += nr {
		bp := b[(j-jb)*kb : (j-jb)*kb+kb*nr]
		if useAVX512 && j+nr < j1 {
			// Two panels at once, the second possibly partial (its
			// columns past n are packed as zeros): one 6x32 kernel
			// issues as many FMA instructions per k step (12) as one
			// 6x16 AVX2 kernel. Rows past i1 and
			// columns past j1 go through tmp2, as below.
			bq := b[(j+nr-jb)*kb : (j+nr-jb)*kb+kb*nr]
			cols := min(2*nr, j1-j)
			for i := i0; i < i1; i += mr {
				ap := a[i*kb : i*kb+kb*mr]
				if i+mr <= i1 && cols == 2*nr {
					microKernel2(kb, ap, bp, bq, c[i*ldc+j:], ldc, acc)
					continue
				}
				rows := min(mr, i1-i)
				var tmp2 [mr * 2 * nr]float32
				microKernel2(kb, ap, bp, bq, tmp2[:], 2*nr, false)
				for r := 0; r < rows; r++ {
					dst := c[(i+r)*ldc+j : (i+r)*ldc+j+cols]
					src := tmp2[r*2*nr : r*2*nr+cols]
					if acc {
						for q, v := range src {
							dst[q] += v
						}
					} else {
						copy(dst, src)
					}
				}
			}
			j += nr
			continue
		}
		cols := min(nr, j1-j)
		for i := i0; i < i1; i += mr {
			ap := a[i*kb : i*kb+kb*mr]
			rows := min(mr, i1-i)
			if rows == mr && cols == nr {
				microKernel(kb, ap, bp, c[i*ldc+j:], ldc, acc)
				continue
			}
			microKernel(kb, ap, bp, tmp[:], nr, false)
			for r := 0; r < rows; r++ {
				dst := c[(i+r)*ldc+j : (i+r)*ldc+j+cols]
				src := tmp[r*nr : r*nr+cols]
				if acc {
					for q, v := range src {
						dst[q] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// microKernel computes the mr×nr tile c (leading dimension ldc) = or +=
// the product of one packed A panel and one packed B panel of depth kb.
func microKernel(kb int, a, b, c []float32, ldc int, add bool) {
	if useAVX2 {
		_ = c[(mr-1)*ldc+nr-1]
		_ = a[kb*mr-1]
		_ = b[kb*nr-1]
		kern6x16AVX2(kb, &a[0], &b[0], &c[0], ldc, add)
		return
	}
	kern6x16Go(kb, a, b, c, ldc, add)
}

// microKernel2 is microKernel on the mr×2nr tile c whose columns [0, nr)
// come from the packed B panel b0 and [nr, 2nr) from b1: the same bits as
// two microKernel calls. Only with useAVX512.
func microKernel2(kb int, a, b0, b1, c []float32, ldc int, add bool) {
	_ = c[(mr-1)*ldc+2*nr-1]
	_ = a[kb*mr-1]
	_ = b0[kb*nr-1]
	_ = b1[kb*nr-1]
	kern6x32AVX512(kb, &a[0], &b0[0], &b1[0], &c[0], ldc, add)
}

// kern6x16Go is the portable micro-kernel.
func kern6x16Go(kb int, a, b, c []float32, ldc int, add bool) {
	var acc [mr][nr]float32
	for p := 0; p < kb; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for r := 0; r < mr; r++ {
			av := ap[r]
			row := &acc[r]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for r := 0; r < mr; r++ {
		dst := c[r*ldc : r*ldc+nr]
		if add {
			for j := range dst {
				dst[j] += acc[r][j]
			}
		} else {
			copy(dst, acc[r][:])
		}
	}
}

// sgemvPacked computes y (len n) += x·B for x of length k and B a packed
// k×n right operand, in the same k-block order as sgemmPacked.
//
// Naive reference:
//
//	for j := 0; j < n; j++ {
//		for p := 0; p < k; p++ {
//			y[j] += x[p] * B[p][j]
//		}
//	}
func sgemvPacked(n, k int, x, pb, y []float32, parallel bool) {
	np := roundUp(n, nr)
	panels := np / nr
	// Work units are groups of panels; each group is owned by one goroutine.
	const group = 8
	units := (panels + group - 1) / group
	w := 1
	if parallel {
		w = workers(2*n*k, units)
	}
	parallelFor(w, units, func(u int) {
		var tmp [nr]float32
		for k0 := 0; k0 < k; k0 += kcBlock {
			kb := min(kcBlock, k-k0)
			xs := x[k0 : k0+kb]
			for pi := u * group; pi < min(panels, (u+1)*group); pi++ {
				j := pi * nr
				bp := pb[k0*np+j*kb : k0*np+j*kb+kb*nr]
				cols := min(nr, n-j)
				if cols == nr {
					gemv16(kb, xs, bp, y[j:j+nr])
					continue
				}
				clear(tmp[:])
				gemv16(kb, xs, bp, tmp[:])
				for q := 0; q < cols; q++ {
					y[j+q] += tmp[q]
				}
			}
		}
	})
}

// gemv16 computes y[0:16] += sum_p x[p]*b[p*16:p*16+16].
func gemv16(kb int, x, b, y []float32) {
	if useAVX2 {
		_ = x[kb-1]
		_ = b[kb*nr-1]
		_ = y[nr-1]
		kern1x16AVX2(kb, &x[0], &b[0], &y[0])
		return
	}
	var even, odd [nr]float32
	p := 0
	for ; p+1 < kb; p += 2 {
		x0, x1 := x[p], x[p+1]
		b0 := b[p*nr : p*nr+nr]
		b1 := b[p*nr+nr : p*nr+2*nr]
		for j := range even {
			even[j] += x0 * b0[j]
			odd[j] += x1 * b1[j]
		}
	}
	if p < kb {
		x0 := x[p]
		b0 := b[p*nr : p*nr+nr]
		for j := range even {
			even[j] += x0 * b0[j]
		}
	}
	for j := range even {
		y[j] += even[j] + odd[j]
	}
}

// sgemm computes C = alpha·op(A)·op(B) (+ C when add) for row-major
// operands, packing both. It is a convenience over packA/packB/sgemmPacked.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, add bool) {
	pa := make([]float32, packedSizeA(m, k))
	packA(pa, m, k, a, lda, transA, alpha)
	pb := make([]float32, packedSizeB(k, n))
	packB(pb, k, n, b, ldb, transB)
	sgemmPacked(m, n, k, pa, pb, c, ldc, add, true)
}
