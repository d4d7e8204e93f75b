package shapeops

import (
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// stridedCopy returns a new tensor of the given shape whose element at
// index (i0, i1, ...) is x's element at base + Σ ik·srcSt[k] (flat, in C
// order): a Transpose (permuted strides) or a Slice (strides times steps,
// base at the starts). It returns false for element types it has no fast
// path for.
func stridedCopy(x *tensor.Tensor, shape, srcSt []int, base int) (*tensor.Tensor, bool) {
	out := tensor.New(x.DType, shape...)
	pl := newCopyPlan(shape, srcSt)
	pl.base = base
	switch s := x.Data.(type) {
	case []float32:
		copyStrided(pl, out.Data.([]float32), s)
	case []int32:
		copyStrided(pl, out.Data.([]int32), s)
	case []uint32:
		copyStrided(pl, out.Data.([]uint32), s)
	case []float64:
		copyStrided(pl, out.Data.([]float64), s)
	case []int64:
		copyStrided(pl, out.Data.([]int64), s)
	case []uint16:
		copyStrided(pl, out.Data.([]uint16), s)
	case []uint8:
		copyStrided(pl, out.Data.([]uint8), s)
	default:
		return nil, false
	}
	return out, true
}

// copyPlan is a strided copy reduced to as few axes as possible: output
// axes of size 1 are dropped and neighbours that the source steps through
// as one are merged. The output is then written in one of three ways:
// contiguous runs (the source's innermost stride is 1: a Transpose that
// keeps the innermost axis, [0,2,1,3], or a Slice with step 1 there),
// square tiles of the plane of the output's innermost axis (read forwards)
// and the axis the source reads contiguously, so that both the reads and the writes of a tile
// stay in a few cache lines ([0,2,3,1], [0,2,1]), or element by element.
type copyPlan struct {
	n    int // elements
	base int // the source offset of the first element
	// outer are the output's axes walked one index at a time (all but the
	// innermost, and all but the tiled plane's), with the source's and the
	// output's strides along them.
	outer, srcSt, outSt []int
	// inner is the output's innermost axis, with the source stride along
	// it (1 for runs).
	inner, innerSt int
	// cols, with tiles, is the size of the plane's other axis, which the
	// source reads contiguously; colSt is the output stride along it.
	cols, colSt int
	tiled       bool
}

// copyTile is the side of a tile in elements (a 32x32 float32 tile reads
// and writes 4 KB).
const copyTile = 32

// copySplit is the least work, in elements, a goroutine gets.
const copySplit = 1 << 14

func newCopyPlan(shape, srcSt []int) *copyPlan {
	pl := &copyPlan{n: tensor.NumElements(shape)}
	var dims, st []int
	for a, d := range shape {
		switch k := len(dims) - 1; {
		case d == 1:
		case k >= 0 && st[k] == srcSt[a]*d:
			dims[k] *= d
			st[k] = srcSt[a]
		default:
			dims = append(dims, d)
			st = append(st, srcSt[a])
		}
	}
	if len(dims) == 0 {
		dims, st = []int{1}, []int{1}
	}
	r := len(dims)
	oSt := strides(dims)
	pl.inner, pl.innerSt = dims[r-1], st[r-1]
	col := -1
	if pl.innerSt > 1 {
		for k := 0; k < r-1; k++ {
			if st[k] == 1 {
				col = k
			}
		}
	}
	if col >= 0 {
		pl.tiled, pl.cols, pl.colSt = true, dims[col], oSt[col]
	}
	for k := 0; k < r-1; k++ {
		if k != col {
			pl.outer = append(pl.outer, dims[k])
			pl.srcSt = append(pl.srcSt, st[k])
			pl.outSt = append(pl.outSt, oSt[k])
		}
	}
	return pl
}

// offsets returns the source and output offsets of outer index k (the
// outer axes' odometer in C order).
func (pl *copyPlan) offsets(k int) (src, out int) {
	src = pl.base
	for j := len(pl.outer) - 1; j >= 0; j-- {
		c := k % pl.outer[j]
		k /= pl.outer[j]
		src += c * pl.srcSt[j]
		out += c * pl.outSt[j]
	}
	return src, out
}

// copyStrided copies src to dst by the plan, split across goroutines: run
// by run, or band of tile rows by band of every plane.
func copyStrided[E any](pl *copyPlan, dst, src []E) {
	if pl.n == 0 {
		return
	}
	if !pl.tiled {
		n, st := pl.inner, pl.innerSt
		kernel.Split(pl.n/n, max(1, copySplit/n), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				i, o := pl.offsets(k)
				d := dst[o : o+n]
				if st == 1 {
					copy(d, src[i:i+n])
					continue
				}
				for j := range d {
					d[j] = src[i]
					i += st
				}
			}
		})
		return
	}
	bands := (pl.inner + copyTile - 1) / copyTile
	planes := pl.n / (pl.inner * pl.cols)
	kernel.Split(planes*bands, max(1, copySplit/(copyTile*pl.cols)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			i, o := pl.offsets(u / bands)
			r0 := u % bands * copyTile
			tileRows(dst[o:], src[i:], r0, min(r0+copyTile, pl.inner), pl.cols, pl.innerSt, pl.colSt)
		}
	})
}

// tileRows writes out[c*colSt + r] = in[r*rowSt + c] for rows r0..r1 and
// every column, tile by tile; four rows at a time, whose elements of one
// column are neighbours in out.
func tileRows[E any](out, in []E, r0, r1, cols, rowSt, colSt int) {
	for c0 := 0; c0 < cols; c0 += copyTile {
		c1 := min(c0+copyTile, cols)
		w := c1 - c0
		r := r0
		for ; r+4 <= r1; r += 4 {
			a := in[r*rowSt+c0:][:w]
			b := in[(r+1)*rowSt+c0:][:w]
			c := in[(r+2)*rowSt+c0:][:w]
			d := in[(r+3)*rowSt+c0:][:w]
			o := c0*colSt + r
			for j, v := range a {
				q := out[o : o+4 : o+4]
				q[0], q[1], q[2], q[3] = v, b[j], c[j], d[j]
				o += colSt
			}
		}
		for ; r < r1; r++ {
			o := c0*colSt + r
			for _, v := range in[r*rowSt+c0 : r*rowSt+c1] {
				out[o] = v
				o += colSt
			}
		}
	}
}
