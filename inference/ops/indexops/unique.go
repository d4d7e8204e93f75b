package indexops

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildUnique(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	_, hasAxis := n.Attr("axis")
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	sorted, err := n.AttrInt("sorted", 1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		return unique(in[0], hasAxis, axis, sorted != 0)
	}), nil
}

// unique splits x into slices along the axis (single elements without an
// axis), keeps the first occurrence of each distinct slice and, when
// sorted, orders them ascending (lexicographically for slices).
func unique(x *tensor.Tensor, hasAxis bool, axis int64, sorted bool) ([]*tensor.Tensor, error) {
	shape := x.Shape
	ax := 0
	if !hasAxis {
		shape = []int{x.Len()}
	} else {
		var err error
		if ax, err = kernel.NormalizeAxis(axis, x.Rank()); err != nil {
			return nil, err
		}
	}
	dim := shape[ax]
	outer, inner := tensor.NumElements(shape[:ax]), tensor.NumElements(shape[ax+1:])
	// Source indices of slice s (outer-major, then inner).
	sliceIdx := func(s int) []int {
		idx := make([]int, 0, outer*inner)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				idx = append(idx, (o*dim+s)*inner+i)
			}
		}
		return idx
	}
	var strs []string
	var nums []float64
	if x.DType == tensor.String {
		strs = x.Data.([]string)
	} else {
		var err error
		if nums, err = kernel.Floats(x); err != nil {
			return nil, err
		}
	}
	key := func(s int) string {
		var b strings.Builder
		for _, j := range sliceIdx(s) {
			if strs != nil {
				fmt.Fprintf(&b, "%d:%s", len(strs[j]), strs[j])
			} else {
				b.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(nums[j])))
			}
		}
		return b.String()
	}
	less := func(a, b int) bool {
		ia, ib := sliceIdx(a), sliceIdx(b)
		for k := range ia {
			if strs != nil {
				if strs[ia[k]] != strs[ib[k]] {
					return strs[ia[k]] < strs[ib[k]]
				}
			} else if nums[ia[k]] != nums[ib[k]] {
				return nums[ia[k]] < nums[ib[k]]
			}
		}
		return false
	}
	first := map[string]int{} // key -> position in uniq
	var uniq []int            // first slice index of each distinct slice
	var counts []int64
	inverse := make([]int, dim)
	for s := 0; s < dim; s++ {
		k := key(s)
		u, ok := first[k]
		if !ok {
			u = len(uniq)
			first[k] = u
			uniq = append(uniq, s)
			counts = append(counts, 0)
		}
		counts[u]++
		inverse[s] = u
	}
	order := make([]int, len(uniq)) // output position -> uniq position
	for i := range order {
		order[i] = i
	}
	if sorted {
		sort.SliceStable(order, func(a, b int) bool { return less(uniq[order[a]], uniq[order[b]]) })
	}
	rank := make([]int, len(uniq))
	for p, u := range order {
		rank[u] = p
	}
	outShape := append([]int{}, shape...)
	outShape[ax] = len(uniq)
	src := make([]int, 0, outer*len(uniq)*inner)
	for o := 0; o < outer; o++ {
		for _, u := range order {
			for i := 0; i < inner; i++ {
				src = append(src, (o*dim+uniq[u])*inner+i)
			}
		}
	}
	y, err := kernel.Take(x, outShape, src)
	if err != nil {
		return nil, err
	}
	idxT := tensor.New(tensor.Int64, len(uniq))
	cntT := tensor.New(tensor.Int64, len(uniq))
	for p, u := range order {
		idxT.Int64s()[p] = int64(uniq[u])
		cntT.Int64s()[p] = counts[u]
	}
	invT := tensor.New(tensor.Int64, dim)
	for s, u := range inverse {
		invT.Int64s()[s] = int64(rank[u])
	}
	return []*tensor.Tensor{y, idxT, invT, cntT}, nil
}
