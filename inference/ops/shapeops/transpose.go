package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildTranspose(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	perm, hasPerm, err := attrIntsOpt(n, "perm")
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		x := in[0]
		rank := x.Rank()
		p := make([]int, rank)
		if hasPerm {
			if len(perm) != rank {
				return nil, fmt.Errorf("Transpose: attribute perm %v has %d entries for an input of rank %d", perm, len(perm), rank)
			}
			seen := make([]bool, rank)
			for i, v := range perm {
				if v < 0 || v >= int64(rank) || seen[v] {
					return nil, fmt.Errorf("Transpose: attribute perm %v is not a permutation of 0..%d", perm, rank-1)
				}
				seen[v] = true
				p[i] = int(v)
			}
		} else {
			for i := range p {
				p[i] = rank - 1 - i
			}
		}
		if err := x.Check(); err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		out, err := transpose(x, p)
		if err != nil {
			return nil, fmt.Errorf("Transpose: %w", err)
		}
		return one(out), nil
	}), nil
}

// transpose permutes x's axes by p (a permutation of its axes).
func transpose(x *tensor.Tensor, p []int) (*tensor.Tensor, error) {
	shape := make([]int, len(p))
	for a := range shape {
		shape[a] = x.Shape[p[a]]
	}
	out := tensor.New(x.DType, shape...)
	pl := newTransposePlan(x.Shape, p)
	switch s := x.Data.(type) {
	case []float32:
		transposeT(pl, out.Data.([]float32), s)
	case []int32:
		transposeT(pl, out.Data.([]int32), s)
	case []uint32:
		transposeT(pl, out.Data.([]uint32), s)
	case []float64:
		transposeT(pl, out.Data.([]float64), s)
	case []int64:
		transposeT(pl, out.Data.([]int64), s)
	case []uint16:
		transposeT(pl, out.Data.([]uint16), s)
	case []uint8:
		transposeT(pl, out.Data.([]uint8), s)
	default:
		return transposeGather(x, shape, p)
	}
	return out, nil
}

// transposeGather transposes x by an index table (any element type).
func transposeGather(x *tensor.Tensor, shape, p []int) (*tensor.Tensor, error) {
	inSt := strides(x.Shape)
	tab := make([][]int, len(p))
	for a := range shape {
		t := make([]int, shape[a])
		for i := range t {
			t[i] = i * inSt[p[a]]
		}
		tab[a] = t
	}
	return take(x, shape, tableIndex(shape, tab), nil)
}

// transposePlan is a transpose reduced to as few axes as possible: axes of
// size 1 are dropped and axes that stay neighbours in the same order are
// merged. The output is then walked in one of three ways: one contiguous
// copy (the permutation only moved size-1 axes), contiguous runs (the
// innermost axis stays innermost: [0,2,1,3]), or square tiles of the plane
// of the input's and the output's innermost axes, so that both the reads
// and the writes of a tile stay in a few cache lines ([0,2,3,1], [0,2,1]).
type transposePlan struct {
	n int // elements
	// outer are the output's axes walked one element at a time (all but
	// the innermost, and all but the tiled plane's), with the input's and
	// the output's strides along them.
	outer, inSt, outSt []int
	// run is the length of the contiguous runs (mode runs).
	run int
	// rows and cols are the plane's sizes (mode tiles): the output's
	// innermost axis and the input's innermost axis; rowSt is the input
	// stride along rows, colSt the output stride along cols.
	rows, cols, rowSt, colSt int
	tiled                    bool
}

// transposeTile is the side of a tile in elements (a 32x32 float32 tile
// reads and writes 4 KB).
const transposeTile = 32

// transposeSplit is the least work, in elements, a goroutine gets.
const transposeSplit = 1 << 14

func newTransposePlan(shape, perm []int) *transposePlan {
	pl := &transposePlan{n: tensor.NumElements(shape)}
	// Drop size-1 axes, renumbering the input axes that remain.
	newAxis := make([]int, len(shape))
	var dims []int
	for a, d := range shape {
		newAxis[a] = -1
		if d != 1 {
			newAxis[a] = len(dims)
			dims = append(dims, d)
		}
	}
	var p []int
	for _, a := range perm {
		if newAxis[a] >= 0 {
			p = append(p, newAxis[a])
		}
	}
	// Merge output neighbours that are input neighbours in order: group g
	// of the output covers input axes p[start[g]] .. p[start[g]]+len-1.
	groupOf := make([]int, len(dims)) // input axis -> group
	var gDims []int                   // group sizes, in input order
	first := make([]bool, len(dims))
	for i := range p {
		if i == 0 || p[i] != p[i-1]+1 {
			first[p[i]] = true
		}
	}
	for a := range dims {
		if first[a] {
			gDims = append(gDims, dims[a])
		} else {
			gDims[len(gDims)-1] *= dims[a]
		}
		groupOf[a] = len(gDims) - 1
	}
	var gp []int // output position -> group
	for i := range p {
		if i == 0 || p[i] != p[i-1]+1 {
			gp = append(gp, groupOf[p[i]])
		}
	}
	r := len(gp)
	inSt := strides(gDims)
	oShape := make([]int, r)
	for i, g := range gp {
		oShape[i] = gDims[g]
	}
	oSt := strides(oShape)
	switch {
	case r <= 1:
		pl.run = pl.n
	case gp[r-1] == r-1:
		pl.run = gDims[r-1]
		for i := 0; i < r-1; i++ {
			pl.outer = append(pl.outer, oShape[i])
			pl.inSt = append(pl.inSt, inSt[gp[i]])
			pl.outSt = append(pl.outSt, oSt[i])
		}
	default:
		pl.tiled = true
		pl.rows, pl.rowSt = oShape[r-1], inSt[gp[r-1]]
		pl.cols = gDims[r-1]
		for i := 0; i < r-1; i++ {
			if gp[i] == r-1 {
				pl.colSt = oSt[i]
				continue
			}
			pl.outer = append(pl.outer, oShape[i])
			pl.inSt = append(pl.inSt, inSt[gp[i]])
			pl.outSt = append(pl.outSt, oSt[i])
		}
	}
	return pl
}

// offsets returns the input and output offsets of outer index k (the
// outer axes' odometer in C order).
func (pl *transposePlan) offsets(k int) (in, out int) {
	for j := len(pl.outer) - 1; j >= 0; j-- {
		c := k % pl.outer[j]
		k /= pl.outer[j]
		in += c * pl.inSt[j]
		out += c * pl.outSt[j]
	}
	return in, out
}

// transposeT copies src to dst by the plan: run by run, or band of tile
// rows by band of every plane, split across goroutines.
func transposeT[E any](pl *transposePlan, dst, src []E) {
	if pl.n == 0 {
		return
	}
	if !pl.tiled {
		kernel.Split(pl.n/pl.run, max(1, transposeSplit/pl.run), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				i, o := pl.offsets(k)
				copy(dst[o:o+pl.run], src[i:i+pl.run])
			}
		})
		return
	}
	bands := (pl.rows + transposeTile - 1) / transposeTile
	planes := pl.n / (pl.rows * pl.cols)
	kernel.Split(planes*bands, max(1, transposeSplit/(transposeTile*pl.cols)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			i, o := pl.offsets(u / bands)
			r0 := u % bands * transposeTile
			tileRows(dst[o:], src[i:], r0, min(r0+transposeTile, pl.rows), pl.cols, pl.rowSt, pl.colSt)
		}
	})
}

// tileRows writes out[c*colSt + r] = in[r*rowSt + c] for rows r0..r1 and
// every column, tile by tile; four rows at a time, whose elements of one
// column are neighbours in out.
func tileRows[E any](out, in []E, r0, r1, cols, rowSt, colSt int) {
	for c0 := 0; c0 < cols; c0 += transposeTile {
		c1 := min(c0+transposeTile, cols)
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
