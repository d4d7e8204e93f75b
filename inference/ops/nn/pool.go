package nn

import (
	"fmt"
	"math"
	"sync"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// poolKernel is a compiled MaxPool or AveragePool node.
type poolKernel struct {
	max              bool
	attrs            windowAttrs
	ceil             bool
	countIncludePad  bool
	columnMajorIndex bool
	wantIndices      bool
	// scratch recycles MaxPool's float32 row scratch (*poolScratch)
	// between the planes and the runs of this kernel.
	scratch sync.Pool
}

func buildMaxPool(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	return buildPool(n, true)
}

func buildAveragePool(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	return buildPool(n, false)
}

func buildPool(n *onnx.Node, isMax bool) (kernel.Kernel, error) {
	attrs, err := readWindowAttrs(n)
	if err != nil {
		return nil, err
	}
	if attrs.kernelShape == nil {
		return nil, fmt.Errorf("missing required attribute kernel_shape")
	}
	if err := attrs.check(len(attrs.kernelShape)); err != nil {
		return nil, err
	}
	k := &poolKernel{max: isMax, attrs: attrs}
	ceil, err := n.AttrInt("ceil_mode", 0)
	if err != nil {
		return nil, err
	}
	k.ceil = ceil != 0
	if isMax {
		so, err := n.AttrInt("storage_order", 0)
		if err != nil {
			return nil, err
		}
		if so != 0 && so != 1 {
			return nil, fmt.Errorf("storage_order = %d, want 0 or 1", so)
		}
		k.columnMajorIndex = so == 1
		k.wantIndices = len(n.Outputs) > 1 && n.Outputs[1] != ""
	} else {
		cip, err := n.AttrInt("count_include_pad", 0)
		if err != nil {
			return nil, err
		}
		k.countIncludePad = cip != 0
		if attrs.dilations != nil {
			for _, d := range attrs.dilations {
				if d != 1 {
					return nil, fmt.Errorf("dilations %v: AveragePool dilations are not supported", attrs.dilations)
				}
			}
		}
	}
	return k, nil
}

func (k *poolKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	nsp := len(k.attrs.kernelShape)
	if x.Rank() != nsp+2 {
		return nil, fmt.Errorf("input X has shape %v, want rank %d for kernel_shape %v", x.Shape, nsp+2, k.attrs.kernelShape)
	}
	g, err := resolveWindow(k.attrs, x.Shape[2:], k.attrs.kernelShape, k.ceil)
	if err != nil {
		return nil, err
	}
	shape := append([]int{x.Shape[0], x.Shape[1]}, g.outShape()...)
	planes := x.Shape[0] * x.Shape[1]
	y := tensor.New(x.DType, shape...)
	var idx []int64
	var outs []*tensor.Tensor
	outs = append(outs, y)
	if k.wantIndices {
		it := tensor.New(tensor.Int64, shape...)
		idx = it.Int64s()
		outs = append(outs, it)
	}
	if !k.max {
		switch x.DType {
		case tensor.Float32:
			avgPool(y.Float32s(), x.Float32s(), planes, &g, k.countIncludePad)
		case tensor.Float64:
			avgPool(y.Float64s(), x.Float64s(), planes, &g, k.countIncludePad)
		default:
			return nil, fmt.Errorf("input X has type %s, want float32 or float64", x.DType)
		}
		return outs, nil
	}
	switch x.DType {
	case tensor.Float32:
		maxPool(y.Float32s(), idx, x.Float32s(), planes, &g, k.columnMajorIndex, float32(math.Inf(-1)), &k.scratch)
	case tensor.Float64:
		maxPool(y.Float64s(), idx, x.Float64s(), planes, &g, k.columnMajorIndex, math.Inf(-1), &k.scratch)
	case tensor.Uint8:
		maxPool(y.Data.([]uint8), idx, x.Data.([]uint8), planes, &g, k.columnMajorIndex, 0, &k.scratch)
	case tensor.Int8:
		maxPool(y.Data.([]int8), idx, x.Data.([]int8), planes, &g, k.columnMajorIndex, math.MinInt8, &k.scratch)
	default:
		return nil, fmt.Errorf("input X has type %s, want float32, float64, int8 or uint8", x.DType)
	}
	return outs, nil
}

// tapRange returns the kernel taps [lo, hi) of an axis whose input position
// o·s - pb + t·d lies in [from, to).
func tapRange(o, s, pb, d, k, from, to int) (int, int) {
	start := o*s - pb
	lo := 0
	if start < from {
		lo = (from - start + d - 1) / d
	}
	hi := k
	if last := to - 1 - start; last < 0 {
		hi = 0
	} else {
		hi = min(k, last/d+1)
	}
	return lo, max(lo, hi)
}

// maxPool computes the maximum of every window, skipping padding, and the
// flat index of its first maximum when idx is not nil (row-major over
// N, C and the spatial axes, or column-major over the spatial axes).
//
// Naive reference: y[pl,p] = max_{t: i(p,t) inside} x[pl, i(p,t)].
func maxPool[T float32 | float64 | uint8 | int8](y []T, idx []int64, x []T, planes int, g *window, colMajor bool, lowest T, scratch *sync.Pool) {
	in, out := g.inSize(), g.outSize()
	// The tap ranges of every output coordinate, per spatial axis, computed
	// once rather than per window.
	var ranges [maxSpatial][][2]int
	for ax := 0; ax < maxSpatial; ax++ {
		ranges[ax] = make([][2]int, g.out[ax])
		for o := range ranges[ax] {
			lo, hi := tapRange(o, g.s[ax], g.pb[ax], g.d[ax], g.k[ax], 0, g.in[ax])
			ranges[ax][o] = [2]int{lo, hi}
		}
	}
	// Output columns [inLo, inHi) have every column tap inside the input.
	inLo, inHi := 0, 0
	for c := 0; c < g.out[2]; c++ {
		if ranges[2][c] == [2]int{0, g.k[2]} {
			if inHi == inLo {
				inLo = c
			}
			inHi = c + 1
		}
	}
	rowWise := idx == nil && g.in[0] == 1 && g.out[0] == 1 && g.k[0] == 1 && g.pb[0] == 0 && inHi-inLo >= 4
	// float32 planes with column stride 1 or 2 and at least 8 inner output
	// columns (a vector) take maxPoolRowsF32, with scratch recycled through
	// scratch (the kernel's pool).
	yf, _ := any(y).([]float32)
	xf, _ := any(x).([]float32)
	lowestF, _ := any(lowest).(float32)
	fast := rowWise && yf != nil && (g.s[2] == 1 || g.s[2] == 2) && inHi-inLo >= 8
	parallelFor(workers(planes*out*g.kSize(), planes), planes, func(pl int) {
		xs := x[pl*in : (pl+1)*in]
		o := pl * out
		if fast {
			s := getPoolScratch(scratch, g)
			done := maxPoolRowsF32(yf[o:o+out], xf[pl*in:(pl+1)*in], g, ranges[1], ranges[2], inLo, inHi, lowestF, s)
			putPoolScratch(scratch, s)
			if done {
				return
			}
		}
		if rowWise {
			maxPoolRows(y[o:o+out], xs, g, ranges[1], ranges[2], inLo, inHi, lowest)
			return
		}
		for a := 0; a < g.out[0]; a++ {
			alo, ahi := ranges[0][a][0], ranges[0][a][1]
			for b := 0; b < g.out[1]; b++ {
				blo, bhi := ranges[1][b][0], ranges[1][b][1]
				for c := 0; c < g.out[2]; c++ {
					clo, chi := ranges[2][c][0], ranges[2][c][1]
					best, bestAt := lowest, -1
					for ta := alo; ta < ahi; ta++ {
						z := a*g.s[0] - g.pb[0] + ta*g.d[0]
						for tb := blo; tb < bhi; tb++ {
							yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
							base := (z*g.in[1] + yy) * g.in[2]
							for tc := clo; tc < chi; tc++ {
								xx := c*g.s[2] - g.pb[2] + tc*g.d[2]
								v := xs[base+xx]
								if bestAt < 0 || v > best || v != v && best == best {
									best, bestAt = v, base+xx
								}
							}
						}
					}
					y[o] = best
					if idx != nil {
						at := bestAt
						if at >= 0 && colMajor {
							z := at / (g.in[1] * g.in[2])
							yy := at / g.in[2] % g.in[1]
							xx := at % g.in[2]
							at = xx*g.in[0]*g.in[1] + yy*g.in[0] + z
						}
						if at < 0 {
							at = 0
						}
						idx[o] = int64(pl*in + at)
					}
					o++
				}
			}
		}
	})
}

// maxPoolRows is maxPool of one 2-D plane without indices: the columns
// [inLo, inHi), whose taps are all inside the input, are swept tap by tap
// along the output row; the others window by window. Each output sees its
// taps in the same order as in maxPool, so the results are the same.
func maxPoolRows[T float32 | float64 | uint8 | int8](y, xs []T, g *window, rowRanges, colRanges [][2]int, inLo, inHi int, lowest T) {
	ih, iw := g.in[1], g.in[2]
	ow, s1, s2, pb1, pb2, d1, d2 := g.out[2], g.s[1], g.s[2], g.pb[1], g.pb[2], g.d[1], g.d[2]
	for b := 0; b < g.out[1]; b++ {
		blo, bhi := rowRanges[b][0], rowRanges[b][1]
		row := y[b*ow : (b+1)*ow]
		if !maxPoolOuter(row, xs, g, b, blo, bhi, colRanges, inLo, inHi, lowest) {
			continue
		}
		dst := row[inLo:inHi]
		for tb := blo; tb < bhi; tb++ {
			base := (b*s1 - pb1 + tb*d1) * iw
			_ = xs[:ih*iw]
			for tc := 0; tc < g.k[2]; tc++ {
				src := xs[base+inLo*s2-pb2+tc*d2:]
				_ = src[(len(dst)-1)*s2]
				if tb == blo && tc == 0 {
					for c := range dst {
						dst[c] = src[c*s2]
					}
					continue
				}
				for c, bst := range dst {
					if v := src[c*s2]; v > bst || v != v && bst == bst {
						dst[c] = v
					}
				}
			}
		}
	}
}

// maxPoolOuter computes the columns of output row b (kernel rows [blo,
// bhi)) outside [inLo, inHi) window by window, and the columns inside when
// no kernel row is inside the input (lowest); it reports whether the
// columns [inLo, inHi) are left to compute.
func maxPoolOuter[T float32 | float64 | uint8 | int8](row, xs []T, g *window, b, blo, bhi int, colRanges [][2]int, inLo, inHi int, lowest T) bool {
	for c := 0; c < inLo; c++ {
		row[c] = maxPoolWindow(xs, g, b, c, blo, bhi, colRanges[c], lowest)
	}
	for c := inHi; c < len(row); c++ {
		row[c] = maxPoolWindow(xs, g, b, c, blo, bhi, colRanges[c], lowest)
	}
	if blo >= bhi {
		for c := inLo; c < inHi; c++ {
			row[c] = lowest
		}
		return false
	}
	return true
}

// maxPoolWindow returns the maximum over the taps of output (b, c) of a 2-D
// plane that lie inside the input, kernel rows [blo, bhi) and columns
// cols[0] to cols[1], in row-major tap order: a later tap replaces the
// maximum when it is greater, or when it is a NaN and the maximum is not
// (so the first NaN, and of equal values the first, stays). No taps give
// lowest.
func maxPoolWindow[T float32 | float64 | uint8 | int8](xs []T, g *window, b, c, blo, bhi int, cols [2]int, lowest T) T {
	iw := g.in[2]
	best, seen := lowest, false
	for tb := blo; tb < bhi; tb++ {
		base := (b*g.s[1] - g.pb[1] + tb*g.d[1]) * iw
		for tc := cols[0]; tc < cols[1]; tc++ {
			v := xs[base+c*g.s[2]-g.pb[2]+tc*g.d[2]]
			if !seen || v > best || v != v && best == best {
				best, seen = v, true
			}
		}
	}
	return best
}

// poolScratch is one goroutine's scratch for maxPoolRowsF32: the even and
// odd columns of every input row (column stride 2) and the tap rows of one
// output row.
type poolScratch struct {
	even, odd []float32
	taps      [][]float32
}

// getPoolScratch returns a poolScratch for window g from pool.
func getPoolScratch(pool *sync.Pool, g *window) *poolScratch {
	s, _ := pool.Get().(*poolScratch)
	if s == nil {
		s = new(poolScratch)
	}
	if n := g.k[1] * g.k[2]; cap(s.taps) < n {
		s.taps = make([][]float32, 0, n)
	}
	if g.s[2] == 2 {
		s.even = withLen(s.even, g.in[1]*((g.in[2]+1)/2))
		s.odd = withLen(s.odd, g.in[1]*(g.in[2]/2))
	}
	return s
}

// putPoolScratch returns s to pool, dropping its references to the input.
func putPoolScratch(pool *sync.Pool, s *poolScratch) {
	clear(s.taps[:cap(s.taps)])
	pool.Put(s)
}

// withLen returns b with length n, reallocated when its capacity is less.
func withLen(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// maxPoolRowsF32 is maxPoolRows for a float32 plane without NaNs and a
// column stride of 1 or 2; it returns false, having written nothing, when
// the plane holds a NaN. Without NaNs, maxPoolRows keeps the first of the
// largest taps of a window (of +0 and -0 the first), and so does maxTaps,
// here over whole runs of output columns: with stride 2 the input rows are
// split into their even and odd columns first, so that every tap reads a
// contiguous run. Columns outside [inLo, inHi) go window by window.
func maxPoolRowsF32(y, xs []float32, g *window, rowRanges, colRanges [][2]int, inLo, inHi int, lowest float32, s *poolScratch) bool {
	ih, iw := g.in[1], g.in[2]
	ow, s1, s2 := g.out[2], g.s[1], g.s[2]
	we, wo := (iw+1)/2, iw/2
	if s2 == 2 {
		for r := 0; r < ih; r++ {
			if deinterleave(s.even[r*we:(r+1)*we], s.odd[r*wo:(r+1)*wo], xs[r*iw:(r+1)*iw]) {
				return false
			}
		}
	} else if hasNaN(xs[:ih*iw]) {
		return false
	}
	n := inHi - inLo
	for b := 0; b < g.out[1]; b++ {
		blo, bhi := rowRanges[b][0], rowRanges[b][1]
		row := y[b*ow : (b+1)*ow]
		if !maxPoolOuter(row, xs, g, b, blo, bhi, colRanges, inLo, inHi, lowest) {
			continue
		}
		taps := s.taps[:0]
		for tb := blo; tb < bhi; tb++ {
			yy := b*s1 - g.pb[1] + tb*g.d[1]
			for tc := 0; tc < g.k[2]; tc++ {
				// The input column of output column inLo.
				q := inLo*s2 - g.pb[2] + tc*g.d[2]
				switch {
				case s2 == 1:
					taps = append(taps, xs[yy*iw+q:][:n])
				case q%2 == 0:
					taps = append(taps, s.even[yy*we+q/2:][:n])
				default:
					taps = append(taps, s.odd[yy*wo+q/2:][:n])
				}
			}
		}
		maxTaps(row[inLo:inHi], taps)
	}
	return true
}

// maxTaps sets dst[i] to the first of the largest of taps[j][i] (taps
// without NaNs, each as long as dst).
func maxTaps(dst []float32, taps [][]float32) {
	_ = taps[0] // the kernel reads taps[0] unchecked
	for _, t := range taps {
		_ = t[:len(dst)]
	}
	if useAVX2 && len(dst) >= 8 {
		maxTapsAVX2(len(dst), &dst[0], taps)
		return
	}
	copy(dst, taps[0])
	for _, t := range taps[1:] {
		for i, v := range t[:len(dst)] {
			if v > dst[i] {
				dst[i] = v
			}
		}
	}
}

// deinterleave sets e[i] = x[2i] and o[i] = x[2i+1] (e holds
// (len(x)+1)/2 values, o len(x)/2) and reports whether x holds a NaN.
func deinterleave(e, o, x []float32) bool {
	n := len(x) / 2
	e, o = e[:(len(x)+1)/2], o[:n]
	nan := false
	i := 0
	if useAVX2 && n >= 8 {
		i = n &^ 7
		nan = deinterleaveAVX2(i, &x[0], &e[0], &o[0])
	}
	for ; i < n; i++ {
		a, b := x[2*i], x[2*i+1]
		e[i], o[i] = a, b
		if a != a || b != b {
			nan = true
		}
	}
	if len(x)%2 == 1 {
		v := x[len(x)-1]
		e[n] = v
		if v != v {
			nan = true
		}
	}
	return nan
}

// hasNaN reports whether x holds a NaN.
func hasNaN(x []float32) bool {
	i := 0
	if useAVX2 && len(x) >= 16 {
		i = len(x) &^ 15
		if hasNaNAVX2(i, &x[0]) {
			return true
		}
	}
	for _, v := range x[i:] {
		if v != v {
			return true
		}
	}
	return false
}

// avgPool computes the mean of every window: over the taps inside the input,
// or, with countIncludePad, over the taps inside the padded input.
//
// Naive reference: y[pl,p] = sum_{t inside} x[pl, i(p,t)] / count(p).
func avgPool[T float32 | float64](y, x []T, planes int, g *window, includePad bool) {
	in, out := g.inSize(), g.outSize()
	parallelFor(workers(planes*out*g.kSize(), planes), planes, func(pl int) {
		xs := x[pl*in : (pl+1)*in]
		o := pl * out
		for a := 0; a < g.out[0]; a++ {
			alo, ahi := tapRange(a, g.s[0], g.pb[0], g.d[0], g.k[0], 0, g.in[0])
			plo, phi := tapRange(a, g.s[0], g.pb[0], g.d[0], g.k[0], -g.pb[0], g.in[0]+g.pe[0])
			for b := 0; b < g.out[1]; b++ {
				blo, bhi := tapRange(b, g.s[1], g.pb[1], g.d[1], g.k[1], 0, g.in[1])
				qlo, qhi := tapRange(b, g.s[1], g.pb[1], g.d[1], g.k[1], -g.pb[1], g.in[1]+g.pe[1])
				for c := 0; c < g.out[2]; c++ {
					clo, chi := tapRange(c, g.s[2], g.pb[2], g.d[2], g.k[2], 0, g.in[2])
					var sum T
					for ta := alo; ta < ahi; ta++ {
						z := a*g.s[0] - g.pb[0] + ta*g.d[0]
						for tb := blo; tb < bhi; tb++ {
							yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
							base := (z*g.in[1]+yy)*g.in[2] + c*g.s[2] - g.pb[2]
							for tc := clo; tc < chi; tc++ {
								sum += xs[base+tc*g.d[2]]
							}
						}
					}
					count := (ahi - alo) * (bhi - blo) * (chi - clo)
					if includePad {
						rlo, rhi := tapRange(c, g.s[2], g.pb[2], g.d[2], g.k[2], -g.pb[2], g.in[2]+g.pe[2])
						count = (phi - plo) * (qhi - qlo) * (rhi - rlo)
					}
					if count > 0 {
						y[o] = sum / T(count)
					}
					o++
				}
			}
		}
	})
}

// globalPoolKernel is a compiled GlobalAveragePool or GlobalMaxPool node.
type globalPoolKernel struct{ max bool }

func buildGlobalAveragePool(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	return globalPoolKernel{max: false}, nil
}

func buildGlobalMaxPool(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	return globalPoolKernel{max: true}, nil
}

func (k globalPoolKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input X has shape %v, want rank >= 2 (N, C, ...)", x.Shape)
	}
	shape := []int{x.Shape[0], x.Shape[1]}
	for range x.Shape[2:] {
		shape = append(shape, 1)
	}
	y := tensor.New(x.DType, shape...)
	planes := x.Shape[0] * x.Shape[1]
	switch x.DType {
	case tensor.Float32:
		globalPool(y.Float32s(), x.Float32s(), planes, k.max)
	case tensor.Float64:
		globalPool(y.Float64s(), x.Float64s(), planes, k.max)
	default:
		return nil, fmt.Errorf("input X has type %s, want float32 or float64", x.DType)
	}
	return []*tensor.Tensor{y}, nil
}

// globalPool reduces each of the planes of x to its mean or maximum.
//
// Naive reference: y[pl] = sum_i x[pl, i] / size (or max_i x[pl, i]).
func globalPool[T float32 | float64](y, x []T, planes int, isMax bool) {
	if planes == 0 {
		return
	}
	size := len(x) / planes
	for pl := range y {
		xs := x[pl*size : (pl+1)*size]
		if isMax {
			m := T(math.Inf(-1))
			for _, v := range xs {
				if v > m || v != v {
					m = v
				}
			}
			y[pl] = m
			continue
		}
		var s T
		for _, v := range xs {
			s += v
		}
		y[pl] = s / T(size)
	}
}
