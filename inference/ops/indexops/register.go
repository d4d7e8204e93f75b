// Package indexops implements ONNX's indexing and rearranging operators
// that shapeops lacks: Trilu, EyeLike, OneHot, NonZero, Compress, TopK,
// Unique, ReverseSequence, DepthToSpace, SpaceToDepth and the scatters (Scatter,
// ScatterElements, ScatterND). Kernels compute source indices and copy
// elements, so they serve every element type; ties and duplicate indices
// resolve in index order, which makes results the same on every run.
package indexops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Trilu", buildTrilu)
	add("EyeLike", buildEyeLike)
	add("OneHot", buildOneHot)
	add("NonZero", buildNonZero)
	add("Compress", buildCompress)
	add("TopK", buildTopK)
	add("Unique", buildUnique)
	add("ReverseSequence", buildReverseSequence)
	add("DepthToSpace", buildDepthToSpace)
	add("SpaceToDepth", buildSpaceToDepth)
	add("Scatter", buildScatterElements)
	add("ScatterElements", buildScatterElements)
	add("ScatterND", buildScatterND)
}

func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

// scalarInt reads a one-element integer tensor.
func scalarInt(t *tensor.Tensor, what string) (int64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s is missing", what)
	}
	var v []int64
	var err error
	if kernel.IsFloat(t.DType) {
		f, ferr := kernel.Floats(t)
		if ferr != nil {
			return 0, ferr
		}
		v = make([]int64, len(f))
		for i, x := range f {
			v[i] = int64(x)
		}
	} else if v, err = kernel.Ints(t); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("%s has %d elements, want 1", what, len(v))
	}
	return v[0], nil
}

// transposeIndex returns the source index of every element of the
// transpose of a tensor of the given shape by perm (output axis i is input
// axis perm[i]), and the output shape.
func transposeIndex(shape, perm []int) ([]int, []int) {
	st := kernel.Strides(shape)
	out := make([]int, len(perm))
	ost := make([]int, len(perm))
	for i, p := range perm {
		out[i] = shape[p]
		ost[i] = st[p]
	}
	n := tensor.NumElements(out)
	idx := make([]int, n)
	coord := make([]int, len(out))
	base := 0
	for p := 0; p < n; p++ {
		idx[p] = base
		for a := len(out) - 1; a >= 0; a-- {
			coord[a]++
			base += ost[a]
			if coord[a] < out[a] {
				break
			}
			base -= ost[a] * coord[a]
			coord[a] = 0
		}
	}
	return idx, out
}

func buildTrilu(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	upper, err := n.AttrInt("upper", 1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input has shape %v, want rank >= 2", x.Shape)
		}
		var k int64
		if kt := kernel.Input(in, 1); kt != nil {
			if k, err = scalarInt(kt, "k"); err != nil {
				return nil, err
			}
		}
		r, c := x.Shape[x.Rank()-2], x.Shape[x.Rank()-1]
		idx := make([]int, x.Len())
		for i := range idx {
			row, col := int64(i/c%max(r, 1)), int64(i%c)
			keep := col-row >= k
			if upper == 0 {
				keep = col-row <= k
			}
			idx[i] = -1
			if keep {
				idx[i] = i
			}
		}
		out, err := kernel.Take(x, x.Shape, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildEyeLike(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k, err := n.AttrInt("k", 0)
	if err != nil {
		return nil, err
	}
	dt := tensor.Undefined
	if _, ok := n.Attr("dtype"); ok {
		v, err := n.AttrInt("dtype", 0)
		if err != nil {
			return nil, err
		}
		dt = tensor.DType(v)
		if !dt.Valid() {
			return nil, fmt.Errorf("dtype = %d is not a supported type", v)
		}
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() != 2 {
			return nil, fmt.Errorf("input has shape %v, want rank 2", x.Shape)
		}
		to := dt
		if to == tensor.Undefined {
			to = x.DType
		}
		v := make([]float64, x.Len())
		r, c := x.Shape[0], x.Shape[1]
		for i := 0; i < r; i++ {
			if j := int64(i) + k; j >= 0 && j < int64(c) {
				v[i*c+int(j)] = 1
			}
		}
		out, err := kernel.FromFloats(to, x.Shape, v)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildOneHot(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, err
		}
		indices, values := in[0], in[2]
		depth, err := scalarInt(in[1], "depth")
		if err != nil {
			return nil, err
		}
		if depth < 1 {
			return nil, fmt.Errorf("depth = %d, want > 0", depth)
		}
		if values.Len() != 2 {
			return nil, fmt.Errorf("values has %d elements, want 2 (off, on)", values.Len())
		}
		ax, err := kernel.NormalizeAxis(axis, indices.Rank()+1)
		if err != nil {
			return nil, err
		}
		var ids []int64
		if kernel.IsFloat(indices.DType) {
			f, err := kernel.Floats(indices)
			if err != nil {
				return nil, err
			}
			ids = make([]int64, len(f))
			for i, v := range f {
				ids[i] = int64(v)
			}
		} else if ids, err = kernel.Ints(indices); err != nil {
			return nil, fmt.Errorf("indices: %w", err)
		}
		shape := append(append(append([]int{}, indices.Shape[:ax]...), int(depth)), indices.Shape[ax:]...)
		outer := tensor.NumElements(indices.Shape[:ax])
		inner := tensor.NumElements(indices.Shape[ax:])
		d := int(depth)
		idx := make([]int, outer*d*inner)
		for o := 0; o < outer; o++ {
			for j := 0; j < d; j++ {
				for i := 0; i < inner; i++ {
					v := ids[o*inner+i]
					if v < 0 {
						v += depth
					}
					hot := 0
					if v == int64(j) {
						hot = 1
					}
					idx[(o*d+j)*inner+i] = hot
				}
			}
		}
		out, err := kernel.Take(values, shape, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildNonZero(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		var nz []bool
		if x.DType == tensor.String {
			s := x.Data.([]string)
			nz = make([]bool, len(s))
			for i, v := range s {
				nz[i] = v != ""
			}
		} else {
			v, err := kernel.Floats(x)
			if err != nil {
				return nil, err
			}
			nz = make([]bool, len(v))
			for i, e := range v {
				nz[i] = e != 0
			}
		}
		var pos []int
		for i, b := range nz {
			if b {
				pos = append(pos, i)
			}
		}
		rank := x.Rank()
		out := tensor.New(tensor.Int64, rank, len(pos))
		st := kernel.Strides(x.Shape)
		o := out.Int64s()
		for j, p := range pos {
			for a := 0; a < rank; a++ {
				o[a*len(pos)+j] = int64(p / st[a] % x.Shape[a])
			}
		}
		return one(out), nil
	}), nil
}

func buildCompress(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	_, hasAxis := n.Attr("axis")
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x, cond := in[0], in[1]
		if cond.DType != tensor.Bool || cond.Rank() != 1 {
			return nil, fmt.Errorf("condition is %s%v, want a 1-D bool tensor", cond.DType, cond.Shape)
		}
		shape := x.Shape
		if !hasAxis {
			shape = []int{x.Len()}
		}
		ax := 0
		if hasAxis {
			if ax, err = kernel.NormalizeAxis(axis, x.Rank()); err != nil {
				return nil, err
			}
		}
		dim := shape[ax]
		c := cond.Bools()
		if len(c) > dim {
			return nil, fmt.Errorf("condition has %d elements, axis has %d", len(c), dim)
		}
		var keep []int
		for i, b := range c {
			if b {
				keep = append(keep, i)
			}
		}
		outer, inner := tensor.NumElements(shape[:ax]), tensor.NumElements(shape[ax+1:])
		outShape := append([]int{}, shape...)
		outShape[ax] = len(keep)
		idx := make([]int, 0, outer*len(keep)*inner)
		for o := 0; o < outer; o++ {
			for _, k := range keep {
				for i := 0; i < inner; i++ {
					idx = append(idx, (o*dim+k)*inner+i)
				}
			}
		}
		out, err := kernel.Take(x, outShape, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildReverseSequence(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	batchAxis, err := n.AttrInt("batch_axis", 1)
	if err != nil {
		return nil, err
	}
	timeAxis, err := n.AttrInt("time_axis", 0)
	if err != nil {
		return nil, err
	}
	if !(batchAxis == 0 && timeAxis == 1) && !(batchAxis == 1 && timeAxis == 0) {
		return nil, fmt.Errorf("batch_axis = %d, time_axis = %d: want 0 and 1 in either order", batchAxis, timeAxis)
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input has shape %v, want rank >= 2", x.Shape)
		}
		lens, err := kernel.Ints(in[1])
		if err != nil {
			return nil, fmt.Errorf("sequence_lens: %w", err)
		}
		nb, nt := x.Shape[batchAxis], x.Shape[timeAxis]
		if len(lens) != nb {
			return nil, fmt.Errorf("sequence_lens has %d elements, batch is %d", len(lens), nb)
		}
		st := kernel.Strides(x.Shape)
		idx := make([]int, x.Len())
		for i := range idx {
			b := i / st[batchAxis] % nb
			t := i / st[timeAxis] % nt
			l := int(lens[b])
			if l < 0 || l > nt {
				return nil, fmt.Errorf("sequence length %d out of range [0, %d]", l, nt)
			}
			idx[i] = i
			if t < l {
				idx[i] = i + (l-1-2*t)*st[timeAxis]
			}
		}
		out, err := kernel.Take(x, x.Shape, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func blockSize(n *onnx.Node) (int, error) {
	bs, err := n.AttrInt("blocksize", 0)
	if err != nil {
		return 0, err
	}
	if bs < 1 {
		return 0, fmt.Errorf("blocksize = %d, want >= 1 (the attribute is required)", bs)
	}
	return int(bs), nil
}

func buildDepthToSpace(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	bs, err := blockSize(n)
	if err != nil {
		return nil, err
	}
	mode, err := n.AttrString("mode", "DCR")
	if err != nil {
		return nil, err
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, fmt.Errorf("mode = %q, want DCR or CRD", mode)
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() != 4 || x.Shape[1]%(bs*bs) != 0 {
			return nil, fmt.Errorf("input has shape %v, want (N, C, H, W) with C divisible by %d", x.Shape, bs*bs)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		cc := c / (bs * bs)
		var idx []int
		if mode == "DCR" {
			idx, _ = transposeIndex([]int{nb, bs, bs, cc, h, w}, []int{0, 3, 4, 1, 5, 2})
		} else {
			idx, _ = transposeIndex([]int{nb, cc, bs, bs, h, w}, []int{0, 1, 4, 2, 5, 3})
		}
		out, err := kernel.Take(x, []int{nb, cc, h * bs, w * bs}, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildSpaceToDepth(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	bs, err := blockSize(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() != 4 || x.Shape[2]%bs != 0 || x.Shape[3]%bs != 0 {
			return nil, fmt.Errorf("input has shape %v, want (N, C, H, W) with H and W divisible by %d", x.Shape, bs)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		idx, _ := transposeIndex([]int{nb, c, h / bs, bs, w / bs, bs}, []int{0, 3, 5, 1, 2, 4})
		out, err := kernel.Take(x, []int{nb, c * bs * bs, h / bs, w / bs}, idx)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}
