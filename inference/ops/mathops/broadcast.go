package mathops

import "github.com/papdl/papdl/inference/ops/kernel"

// bcast is the plan of a two-operand multidirectional (numpy) broadcast:
// the output shape plus the operands' strides over a reduced description of
// the output in which size-1 dimensions are dropped and neighbouring
// dimensions that both operands traverse the same way are merged. Its
// innermost dimension is walked by slice kernels, which keeps the common
// cases (same shape, scalar operand, per-channel operand) to a few calls of
// tight loops.
type bcast struct {
	out    []int // output shape
	n      int   // number of output elements
	dims   []int // merged dimensions, outermost first (at least one)
	sa, sb []int // element strides of a and b per merged dimension (0 = broadcast)
}

// broadcastShape returns the numpy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if k := i - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := i - (r - len(b)); k >= 0 {
			db = b[k]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, errorf("shapes %v and %v cannot be broadcast (dimension %d: %d vs %d)", a, b, i, da, db)
		}
	}
	return out, nil
}

// newBcast plans the broadcast of operands of shapes a and b.
func newBcast(a, b []int) (*bcast, error) {
	out, err := broadcastShape(a, b)
	if err != nil {
		return nil, err
	}
	p := &bcast{out: out, n: 1}
	for _, d := range out {
		p.n *= d
	}
	r := len(out)
	stridesOf := func(s []int) []int {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			k := i - (r - len(s))
			if k < 0 || s[k] == 1 {
				continue
			}
			st[i] = acc
			acc *= s[k]
		}
		return st
	}
	dims, st := mergeDims(out, stridesOf(a), stridesOf(b))
	p.dims, p.sa, p.sb = dims, st[0], st[1]
	return p, nil
}

// mergeDims describes a C-ordered walk over shape, in which operand k
// advances by strides[k][i] along dimension i, with as few dimensions as
// possible: size-1 dimensions are dropped and a dimension merges into its
// inner neighbour when every operand steps through both as one. The result
// has at least one dimension.
func mergeDims(shape []int, strides ...[]int) ([]int, [][]int) {
	var dims []int // innermost first while building
	st := make([][]int, len(strides))
	for i := len(shape) - 1; i >= 0; i-- {
		d := shape[i]
		if d == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 {
			merge := true
			for s := range strides {
				if strides[s][i] != st[s][k]*dims[k] {
					merge = false
					break
				}
			}
			if merge {
				dims[k] *= d
				continue
			}
		}
		dims = append(dims, d)
		for s := range strides {
			st[s] = append(st[s], strides[s][i])
		}
	}
	if len(dims) == 0 {
		dims = []int{1}
		for s := range st {
			st[s] = []int{0}
		}
	}
	for i, j := 0, len(dims)-1; i < j; i, j = i+1, j-1 {
		dims[i], dims[j] = dims[j], dims[i]
		for s := range st {
			st[s][i], st[s][j] = st[s][j], st[s][i]
		}
	}
	return dims, st
}

// slices2 are the slice kernels of one element-wise binary operation:
// vv over two runs, vs with a broadcast right operand, sv with a broadcast
// left operand. len(dst) is the run length.
type slices2[A, B, O any] struct {
	vv func(dst []O, a []A, b []B)
	vs func(dst []O, a []A, b B)
	sv func(dst []O, a A, b []B)
}

// elementwise builds the slice kernels of f. It costs an indirect call per
// element; hot operators have hand-written kernels instead.
func elementwise[A, B, O any](f func(A, B) O) slices2[A, B, O] {
	return slices2[A, B, O]{
		vv: func(dst []O, a []A, b []B) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = f(a[i], b[i])
			}
		},
		vs: func(dst []O, a []A, b B) {
			a = a[:len(dst)]
			for i := range dst {
				dst[i] = f(a[i], b)
			}
		},
		sv: func(dst []O, a A, b []B) {
			b = b[:len(dst)]
			for i := range dst {
				dst[i] = f(a, b[i])
			}
		},
	}
}

// run2 applies k over the plan: dst has p.n elements, a and b are the
// operands in C order.
func run2[A, B, O any](p *bcast, dst []O, a []A, b []B, k slices2[A, B, O]) {
	if p.n == 0 {
		return
	}
	last := len(p.dims) - 1
	inner, ia, ib := p.dims[last], p.sa[last], p.sb[last]
	runInner := func(o, oa, ob int) {
		d := dst[o : o+inner]
		switch {
		case ia != 0 && ib != 0:
			k.vv(d, a[oa:oa+inner], b[ob:ob+inner])
		case ia != 0:
			k.vs(d, a[oa:oa+inner], b[ob])
		case ib != 0:
			k.sv(d, a[oa], b[ob:ob+inner])
		default:
			k.vs(d, a[oa:oa+1], b[ob]) // one element (dims is [1])
		}
	}
	if last == 0 {
		// One run (equal shapes, or a scalar operand): split it.
		kernel.Split(inner, splitElems, func(lo, hi int) {
			d := dst[lo:hi]
			switch {
			case ia != 0 && ib != 0:
				k.vv(d, a[lo:hi], b[lo:hi])
			case ia != 0:
				k.vs(d, a[lo:hi], b[0])
			case ib != 0:
				k.sv(d, a[0], b[lo:hi])
			default:
				k.vs(d, a[:1], b[0])
			}
		})
		return
	}
	// Odometer over the outer merged dimensions, rows split across
	// goroutines for large tensors (each row is written by one).
	rows := p.n / inner
	kernel.Split(rows, max(1, splitElems/max(inner, 1)), func(r0, r1 int) {
		idx := make([]int, last)
		oa, ob := 0, 0
		for j, r := last-1, r0; j >= 0; j-- {
			idx[j] = r % p.dims[j]
			r /= p.dims[j]
			oa += idx[j] * p.sa[j]
			ob += idx[j] * p.sb[j]
		}
		for o := r0 * inner; o < r1*inner; o += inner {
			runInner(o, oa, ob)
			for j := last - 1; j >= 0; j-- {
				idx[j]++
				oa += p.sa[j]
				ob += p.sb[j]
				if idx[j] < p.dims[j] {
					break
				}
				oa -= p.sa[j] * p.dims[j]
				ob -= p.sb[j] * p.dims[j]
				idx[j] = 0
			}
		}
	})
}
