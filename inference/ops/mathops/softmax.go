package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/ops/kernel/vmath"
	"github.com/papdl/papdl/inference/tensor"
)

// softmaxRows computes softmax (or log-softmax) of src viewed as
// [outer, axisLen, inner] along the middle dimension. Exponentials and sums
// are taken in float64 after subtracting the maximum, so large inputs do not
// overflow; a float32 softmax takes its exponentials with vmath.Exp (see
// softmaxBlocks32).
func softmaxRows[T float](dst, src []T, outer, axisLen, inner int, logOut bool) {
	block := axisLen * inner
	if block == 0 {
		return
	}
	blocks := func(o0, o1 int) { softmaxBlocks(dst, src, o0, o1, axisLen, inner, logOut) }
	if d, ok := any(dst).([]float32); ok && !logOut {
		s := any(src).([]float32)
		blocks = func(o0, o1 int) { softmaxBlocks32(d, s, o0, o1, axisLen, inner) }
	}
	// Blocks are independent: split them across goroutines for large
	// tensors (the same bits).
	kernel.Split(outer, max(1, splitElems/block), blocks)
}

// blockMax sets mx[j] to the maximum of x[k*inner+j] over k, in order of
// k.
func blockMax[T float](mx, x []T, inner int) {
	for j := range mx {
		m := x[j] // in a register, as the sums in softmaxBlocks32
		for i := j + inner; i < len(x); i += inner {
			m = maxOf(m, x[i])
		}
		mx[j] = m
	}
}

// softmaxBlocks32 is softmaxBlocks for a float32 softmax: the
// exponentials are vmath.Exp of the float32 differences x − max, summed
// in float64, and each is multiplied by the float64 reciprocal of its sum.
func softmaxBlocks32(dst, src []float32, o0, o1, axisLen, inner int) {
	sum := make([]float64, inner) // the reciprocals of the sums
	e := make([]float32, axisLen*inner)
	eachBlock(dst, src, o0, o1, axisLen, inner, func(y, x, mx []float32) {
		j := 0
		for i, v := range x {
			e[i] = v - mx[j]
			if j++; j == inner {
				j = 0
			}
		}
		vmath.Exp(e, e)
		for j := range sum {
			s := 0.0 // in a register: a loop-carried sum[j] would wait on memory
			for i := j; i < len(e); i += inner {
				s += float64(e[i])
			}
			sum[j] = 1 / s
		}
		for i, v := range e {
			y[i] = float32(float64(v) * sum[j])
			if j++; j == inner {
				j = 0
			}
		}
	})
}

// eachBlock calls f with the blocks o0 <= o < o1 (axisLen·inner elements
// each) of dst and src, and mx, the maximum of each of the block's inner
// columns.
func eachBlock[T float](dst, src []T, o0, o1, axisLen, inner int, f func(y, x, mx []T)) {
	block := axisLen * inner
	mx := make([]T, inner)
	for o := o0; o < o1; o++ {
		x := src[o*block : (o+1)*block]
		blockMax(mx, x, inner)
		f(dst[o*block:(o+1)*block], x, mx)
	}
}

// softmaxBlocks is softmaxRows on blocks [o0, o1).
func softmaxBlocks[T float](dst, src []T, o0, o1, axisLen, inner int, logOut bool) {
	sum := make([]float64, inner)
	e := make([]float64, axisLen*inner)
	eachBlock(dst, src, o0, o1, axisLen, inner, func(y, x, mx []T) {
		clear(sum)
		if logOut {
			for k := 0; k < axisLen; k++ {
				row := x[k*inner : (k+1)*inner]
				er := e[k*inner : (k+1)*inner]
				for j, v := range row {
					er[j] = float64(v) - float64(mx[j])
					sum[j] += math.Exp(er[j])
				}
			}
			for j := range sum {
				sum[j] = math.Log(sum[j])
			}
			for k := 0; k < axisLen; k++ {
				er := e[k*inner : (k+1)*inner]
				yr := y[k*inner : (k+1)*inner]
				for j, d := range er {
					yr[j] = T(d - sum[j])
				}
			}
			return
		}
		// e holds the exponentials, each computed once.
		for k := 0; k < axisLen; k++ {
			row := x[k*inner : (k+1)*inner]
			er := e[k*inner : (k+1)*inner]
			for j, v := range row {
				er[j] = math.Exp(float64(v) - float64(mx[j]))
				sum[j] += er[j]
			}
		}
		for k := 0; k < axisLen; k++ {
			er := e[k*inner : (k+1)*inner]
			yr := y[k*inner : (k+1)*inner]
			for j, ex := range er {
				yr[j] = T(ex / sum[j])
			}
		}
	})
}

// buildSoftmax handles Softmax and LogSoftmax. Before opset 13 the input is
// coerced to 2-D at axis (default 1) and normalised over the flattened
// trailing dimensions; from opset 13 it is normalised along one axis
// (default -1).
func buildSoftmax(logOut bool) kernel.Builder {
	return func(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		coerce := opset < 13
		def := int64(-1)
		if coerce {
			def = 1
		}
		axis, err := n.AttrInt("axis", def)
		if err != nil {
			return nil, err
		}
		return withHalf(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			x, err := need(inputs, 0, "input")
			if err != nil {
				return nil, err
			}
			r := x.Rank()
			var ax int
			if coerce && axis == int64(r) {
				ax = r // allowed before opset 13: everything is "outer"
			} else if ax, err = kernel.NormalizeAxis(axis, r); err != nil {
				return nil, errorf("attribute axis: %v", err)
			}
			outer, axisLen, inner := 1, 1, 1
			for i, d := range x.Shape {
				switch {
				case i < ax:
					outer *= d
				case i == ax || coerce:
					axisLen *= d
				default:
					inner *= d
				}
			}
			out := tensor.New(x.DType, x.Shape...)
			switch x.DType {
			case tensor.Float32:
				softmaxRows(out.Data.([]float32), x.Data.([]float32), outer, axisLen, inner, logOut)
			case tensor.Float64:
				softmaxRows(out.Data.([]float64), x.Data.([]float64), outer, axisLen, inner, logOut)
			default:
				return nil, errorf("input 0 (input): %s tensors are not supported (float types only)", x.DType)
			}
			return one(out), nil
		}), nil
	}
}
