// Package linalg implements ONNX's Einsum and Det. Einsum sums products
// over the contracted labels in a fixed (row-major) order in float64 (int64
// for integer inputs), so results are the same bits on every run.
package linalg

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Einsum", buildEinsum)
	add("Det", buildDet)
}

// ellipsisBase numbers the labels that stand for ellipsis dimensions
// (right-aligned: the last ellipsis dimension is ellipsisBase+0).
const ellipsisBase = 1000

// einsumPlan is a parsed equation.
type einsumPlan struct {
	terms  []string // input terms, spaces removed
	output string   // "" with hasOut false: implicit output
	hasOut bool
}

func parseEquation(eq string) (*einsumPlan, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	p := &einsumPlan{}
	lhs := eq
	if i := strings.Index(eq, "->"); i >= 0 {
		lhs, p.output, p.hasOut = eq[:i], eq[i+2:], true
	}
	p.terms = strings.Split(lhs, ",")
	for _, t := range append(append([]string{}, p.terms...), p.output) {
		rest := strings.Replace(t, "...", "", 1)
		for _, c := range rest {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, fmt.Errorf("equation %q: unexpected %q", eq, c)
			}
		}
	}
	return p, nil
}

// labels expands a term for an operand of the given rank into one label
// per axis.
func labels(term string, rank int) ([]int, error) {
	pre, post, ell := strings.Cut(term, "...")
	if !ell {
		if len(term) != rank {
			return nil, fmt.Errorf("term %q has %d labels for an operand of rank %d", term, len(term), rank)
		}
	}
	ne := rank - len(pre) - len(post)
	if ne < 0 {
		return nil, fmt.Errorf("term %q has too many labels for an operand of rank %d", term, rank)
	}
	var out []int
	for _, c := range pre {
		out = append(out, int(c))
	}
	for i := ne - 1; i >= 0; i-- {
		out = append(out, ellipsisBase+i)
	}
	for _, c := range post {
		out = append(out, int(c))
	}
	return out, nil
}

func buildEinsum(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	eq, err := n.AttrString("equation", "")
	if err != nil {
		return nil, err
	}
	p, err := parseEquation(eq)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(in) != len(p.terms) {
			return nil, fmt.Errorf("equation %q has %d terms for %d inputs", eq, len(p.terms), len(in))
		}
		out, err := p.run(in)
		if err != nil {
			return nil, fmt.Errorf("equation %q: %w", eq, err)
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func (p *einsumPlan) run(in []*tensor.Tensor) (*tensor.Tensor, error) {
	size := map[int]int{}
	count := map[int]int{}
	opLabels := make([][]int, len(in))
	maxEll := 0
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		if t.DType != in[0].DType {
			return nil, fmt.Errorf("inputs have types %s and %s", in[0].DType, t.DType)
		}
		ls, err := labels(p.terms[i], t.Rank())
		if err != nil {
			return nil, err
		}
		opLabels[i] = ls
		for a, l := range ls {
			d := t.Shape[a]
			if l >= ellipsisBase {
				maxEll = max(maxEll, l-ellipsisBase+1)
			}
			switch s, ok := size[l]; {
			case !ok || s == 1:
				size[l] = d
			case d != s && !(d == 1 && l >= ellipsisBase):
				return nil, fmt.Errorf("label %s has sizes %d and %d", labelName(l), s, d)
			}
			count[l]++
		}
	}
	var outLabels []int
	if p.hasOut {
		pre, post, ell := strings.Cut(p.output, "...")
		for _, c := range pre {
			outLabels = append(outLabels, int(c))
		}
		if ell {
			for i := maxEll - 1; i >= 0; i-- {
				outLabels = append(outLabels, ellipsisBase+i)
			}
		}
		for _, c := range post {
			outLabels = append(outLabels, int(c))
		}
	} else {
		for i := maxEll - 1; i >= 0; i-- {
			outLabels = append(outLabels, ellipsisBase+i)
		}
		var once []int
		for l, c := range count {
			if c == 1 && l < ellipsisBase {
				once = append(once, l)
			}
		}
		sort.Ints(once)
		outLabels = append(outLabels, once...)
	}
	inOut := map[int]bool{}
	for _, l := range outLabels {
		if _, ok := size[l]; !ok {
			return nil, fmt.Errorf("output label %s appears in no input", labelName(l))
		}
		inOut[l] = true
	}
	var sumLabels []int
	for l := range size {
		if !inOut[l] {
			sumLabels = append(sumLabels, l)
		}
	}
	sort.Ints(sumLabels)
	all := append(append([]int{}, outLabels...), sumLabels...)
	pos := map[int]int{}
	dims := make([]int, len(all))
	for i, l := range all {
		pos[l] = i
		dims[i] = size[l]
	}
	// Stride of every operand along every loop label (0 where the operand
	// lacks the label or broadcasts it).
	st := make([][]int, len(in))
	vals := make([][]float64, len(in))
	for i, t := range in {
		st[i] = make([]int, len(all))
		ts := kernel.Strides(t.Shape)
		for a, l := range opLabels[i] {
			if t.Shape[a] != 1 || size[l] == 1 {
				st[i][pos[l]] += ts[a]
			}
		}
		v, err := kernel.Floats(t)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	outShape := dims[:len(outLabels)]
	nOut := tensor.NumElements(outShape)
	nSum := tensor.NumElements(dims[len(outLabels):])
	res := make([]float64, nOut)
	coord := make([]int, len(all))
	off := make([]int, len(in))
	isInt := !kernel.IsFloat(in[0].DType)
	for o := 0; o < nOut; o++ {
		acc := 0.0
		var iacc int64
		for s := 0; s < nSum; s++ {
			prod := 1.0
			var iprod int64 = 1
			for i := range in {
				v := vals[i][off[i]]
				prod *= v
				iprod *= int64(v)
			}
			acc += prod
			iacc += iprod
			// Advance the odometer over all labels (output labels outermost).
			for a := len(all) - 1; a >= 0; a-- {
				coord[a]++
				for i := range in {
					off[i] += st[i][a]
				}
				if coord[a] < dims[a] {
					break
				}
				for i := range in {
					off[i] -= st[i][a] * coord[a]
				}
				coord[a] = 0
			}
		}
		if nSum == 0 {
			// No contraction space: still step the output odometer.
			for a := len(outLabels) - 1; a >= 0; a-- {
				coord[a]++
				for i := range in {
					off[i] += st[i][a]
				}
				if coord[a] < dims[a] {
					break
				}
				for i := range in {
					off[i] -= st[i][a] * coord[a]
				}
				coord[a] = 0
			}
		}
		if isInt {
			acc = float64(iacc)
		}
		res[o] = acc
	}
	return kernel.FromFloats(in[0].DType, append([]int{}, outShape...), res)
}

func labelName(l int) string {
	if l >= ellipsisBase {
		return fmt.Sprintf("...[%d]", l-ellipsisBase)
	}
	return string(rune(l))
}

func buildDet(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error) {
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		r := x.Rank()
		if r < 2 || x.Shape[r-1] != x.Shape[r-2] || !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("input is %s%v, want float square matrices (..., M, M)", x.DType, x.Shape)
		}
		m := x.Shape[r-1]
		v, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		nb := tensor.NumElements(x.Shape[:r-2])
		out := make([]float64, nb)
		a := make([]float64, m*m)
		for b := range out {
			copy(a, v[b*m*m:(b+1)*m*m])
			out[b] = det(a, m)
		}
		t, err := kernel.FromFloats(x.DType, x.Shape[:r-2], out)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{t}, nil
	}), nil
}

// det is the determinant of the m×m matrix a (overwritten) by Gaussian
// elimination with partial pivoting.
func det(a []float64, m int) float64 {
	d := 1.0
	for c := 0; c < m; c++ {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r*m+c]) > math.Abs(a[p*m+c]) {
				p = r
			}
		}
		if a[p*m+c] == 0 {
			return 0
		}
		if p != c {
			for k := 0; k < m; k++ {
				a[c*m+k], a[p*m+k] = a[p*m+k], a[c*m+k]
			}
			d = -d
		}
		d *= a[c*m+c]
		for r := c + 1; r < m; r++ {
			f := a[r*m+c] / a[c*m+c]
			for k := c; k < m; k++ {
				a[r*m+k] -= f * a[c*m+k]
			}
		}
	}
	return d
}
