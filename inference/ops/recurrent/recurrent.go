// Package recurrent implements ONNX's recurrent layers RNN, GRU and LSTM:
// forward, reverse and bidirectional, with sequence_lens, initial states,
// peepholes, clipping, every activation function of the specification and
// both layouts (opset 14). State is kept in float64 and updated in a fixed
// order, so results are the same bits on every run.
package recurrent

import (
	"fmt"
	"math"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("RNN", build(cellRNN))
	add("GRU", build(cellGRU))
	add("LSTM", build(cellLSTM))
}

type cellKind int

const (
	cellRNN cellKind = iota
	cellGRU
	cellLSTM
)

// gates is the number of gate blocks in W and R; nact the number of
// activation functions per direction.
func (c cellKind) gates() int { return [...]int{1, 3, 4}[c] }
func (c cellKind) nact() int  { return [...]int{1, 2, 3}[c] }

// activation is one of the functions the recurrent operators accept.
type activation func(float64) float64

// newActivation resolves a (case-insensitive) activation name; alpha and
// beta are consumed from the attribute lists by the functions that use
// them.
func newActivation(name string, alphas, betas *[]float32) (activation, error) {
	pop := func(l *[]float32, def float64) float64 {
		if len(*l) == 0 {
			return def
		}
		v := (*l)[0]
		*l = (*l)[1:]
		return float64(v)
	}
	switch strings.ToLower(name) {
	case "relu":
		return func(x float64) float64 { return math.Max(0, x) }, nil
	case "tanh":
		return math.Tanh, nil
	case "sigmoid":
		return sigmoid, nil
	case "affine":
		a, b := pop(alphas, 1), pop(betas, 0)
		return func(x float64) float64 { return a*x + b }, nil
	case "leakyrelu":
		a := pop(alphas, 0.01)
		return func(x float64) float64 {
			if x < 0 {
				return a * x
			}
			return x
		}, nil
	case "thresholdedrelu":
		a := pop(alphas, 1)
		return func(x float64) float64 {
			if x > a {
				return x
			}
			return 0
		}, nil
	case "scaledtanh":
		a, b := pop(alphas, 1), pop(betas, 1)
		return func(x float64) float64 { return a * math.Tanh(b*x) }, nil
	case "hardsigmoid":
		a, b := pop(alphas, 0.2), pop(betas, 0.5)
		return func(x float64) float64 { return math.Max(0, math.Min(1, a*x+b)) }, nil
	case "elu":
		a := pop(alphas, 1)
		return func(x float64) float64 {
			if x < 0 {
				return a * (math.Exp(x) - 1)
			}
			return x
		}, nil
	case "softsign":
		return func(x float64) float64 { return x / (1 + math.Abs(x)) }, nil
	case "softplus":
		return func(x float64) float64 { return math.Log1p(math.Exp(x)) }, nil
	}
	return nil, fmt.Errorf("activation %q is not supported", name)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// layer is a compiled recurrent node.
type layer struct {
	kind            cellKind
	hidden          int
	dirs            int
	reverse         bool // the only direction is reverse
	acts            [][]activation
	clip            float64 // 0: none
	inputForget     bool
	linearBeforeRst bool
	batchMajor      bool // layout = 1
}

func build(kind cellKind) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		l := &layer{kind: kind}
		hs, err := n.AttrInt("hidden_size", 0)
		if err != nil {
			return nil, err
		}
		l.hidden = int(hs)
		dir, err := n.AttrString("direction", "forward")
		if err != nil {
			return nil, err
		}
		switch dir {
		case "forward":
			l.dirs = 1
		case "reverse":
			l.dirs, l.reverse = 1, true
		case "bidirectional":
			l.dirs = 2
		default:
			return nil, fmt.Errorf("direction = %q, want forward, reverse or bidirectional", dir)
		}
		names := [][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[kind]
		var acts []string
		if a, ok := n.Attr("activations"); ok {
			for _, s := range a.Strings {
				acts = append(acts, string(s))
			}
		}
		if acts == nil {
			for d := 0; d < l.dirs; d++ {
				acts = append(acts, names...)
			}
		}
		if len(acts) != kind.nact()*l.dirs {
			return nil, fmt.Errorf("activations has %d names, want %d", len(acts), kind.nact()*l.dirs)
		}
		alphas, err := n.AttrFloats("activation_alpha", nil)
		if err != nil {
			return nil, err
		}
		betas, err := n.AttrFloats("activation_beta", nil)
		if err != nil {
			return nil, err
		}
		for d := 0; d < l.dirs; d++ {
			var fs []activation
			for _, name := range acts[d*kind.nact() : (d+1)*kind.nact()] {
				f, err := newActivation(name, &alphas, &betas)
				if err != nil {
					return nil, err
				}
				fs = append(fs, f)
			}
			l.acts = append(l.acts, fs)
		}
		clip, err := n.AttrFloat("clip", 0)
		if err != nil {
			return nil, err
		}
		l.clip = float64(clip)
		flag := func(name string) (bool, error) {
			v, err := n.AttrInt(name, 0)
			return v != 0, err
		}
		if l.inputForget, err = flag("input_forget"); err != nil {
			return nil, err
		}
		if l.linearBeforeRst, err = flag("linear_before_reset"); err != nil {
			return nil, err
		}
		if l.batchMajor, err = flag("layout"); err != nil {
			return nil, err
		}
		return l, nil
	}
}

// params are a layer's inputs for one run, as float64.
type params struct {
	x, w, r, b, h0, c0, p []float64
	lens                  []int64
	seq, batch, in        int
}

func (l *layer) read(in []*tensor.Tensor) (*params, error) {
	if err := kernel.NeedInputs(in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	if !kernel.IsFloat(x.DType) || x.Rank() != 3 {
		return nil, fmt.Errorf("input X is %s%v, want a float tensor of rank 3", x.DType, x.Shape)
	}
	p := &params{seq: x.Shape[0], batch: x.Shape[1], in: x.Shape[2]}
	if l.batchMajor {
		p.seq, p.batch = p.batch, p.seq
	}
	g, h := l.kind.gates(), l.hidden
	if h < 1 {
		if in[2].Rank() == 3 {
			h = in[2].Shape[2]
			l.hidden = h
		}
		if h < 1 {
			return nil, fmt.Errorf("hidden_size is missing")
		}
	}
	get := func(i int, what string, shape ...int) ([]float64, error) {
		t := kernel.Input(in, i)
		if t == nil {
			return nil, nil
		}
		if !tensor.SameShape(t.Shape, shape) {
			return nil, fmt.Errorf("input %s has shape %v, want %v", what, t.Shape, shape)
		}
		v, err := kernel.Floats(t)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", what, err)
		}
		return v, nil
	}
	var err error
	xv, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	if l.batchMajor { // to (seq, batch, in)
		p.x = make([]float64, len(xv))
		for b := 0; b < p.batch; b++ {
			for t := 0; t < p.seq; t++ {
				copy(p.x[(t*p.batch+b)*p.in:(t*p.batch+b+1)*p.in], xv[(b*p.seq+t)*p.in:])
			}
		}
	} else {
		p.x = xv
	}
	if p.w, err = get(1, "W", l.dirs, g*h, p.in); err != nil {
		return nil, err
	}
	if p.r, err = get(2, "R", l.dirs, g*h, h); err != nil {
		return nil, err
	}
	if p.b, err = get(3, "B", l.dirs, 2*g*h); err != nil {
		return nil, err
	}
	if t := kernel.Input(in, 4); t != nil {
		if p.lens, err = kernel.Ints(t); err != nil || len(p.lens) != p.batch {
			return nil, fmt.Errorf("input sequence_lens must hold %d integers", p.batch)
		}
	}
	stateShape := []int{l.dirs, p.batch, h}
	if l.batchMajor {
		stateShape = []int{p.batch, l.dirs, h}
	}
	if p.h0, err = get(5, "initial_h", stateShape...); err != nil {
		return nil, err
	}
	if l.kind == cellLSTM {
		if p.c0, err = get(6, "initial_c", stateShape...); err != nil {
			return nil, err
		}
		if p.p, err = get(7, "P", l.dirs, 3*h); err != nil {
			return nil, err
		}
	}
	if l.batchMajor {
		p.h0, p.c0 = swap01(p.h0, p.batch, l.dirs, h), swap01(p.c0, p.batch, l.dirs, h)
	}
	return p, nil
}

// swap01 transposes the first two axes of an (a, b, c) array.
func swap01(v []float64, a, b, c int) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			copy(out[(j*a+i)*c:(j*a+i+1)*c], v[(i*b+j)*c:(i*b+j+1)*c])
		}
	}
	return out
}

func (l *layer) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	lc := *l // hidden_size may be inferred per run
	p, err := lc.read(in)
	if err != nil {
		return nil, err
	}
	h, nb, seq := lc.hidden, p.batch, p.seq
	y := make([]float64, seq*lc.dirs*nb*h) // (seq, dirs, batch, hidden)
	yh := make([]float64, lc.dirs*nb*h)
	yc := make([]float64, lc.dirs*nb*h)
	for d := 0; d < lc.dirs; d++ {
		lc.direction(p, d, y, yh[d*nb*h:(d+1)*nb*h], yc[d*nb*h:(d+1)*nb*h])
	}
	dt := in[0].DType
	yShape := []int{seq, lc.dirs, nb, h}
	sShape := []int{lc.dirs, nb, h}
	if lc.batchMajor {
		// (seq, dirs, batch, h) -> (batch, seq, dirs, h)
		yb := make([]float64, len(y))
		for t := 0; t < seq; t++ {
			for d := 0; d < lc.dirs; d++ {
				for b := 0; b < nb; b++ {
					copy(yb[((b*seq+t)*lc.dirs+d)*h:][:h], y[((t*lc.dirs+d)*nb+b)*h:][:h])
				}
			}
		}
		y, yShape = yb, []int{nb, seq, lc.dirs, h}
		yh, yc = swap01(yh, lc.dirs, nb, h), swap01(yc, lc.dirs, nb, h)
		sShape = []int{nb, lc.dirs, h}
	}
	outs := make([]*tensor.Tensor, 2, 3)
	if outs[0], err = kernel.FromFloats(dt, yShape, y); err != nil {
		return nil, err
	}
	if outs[1], err = kernel.FromFloats(dt, sShape, yh); err != nil {
		return nil, err
	}
	if lc.kind == cellLSTM {
		c, err := kernel.FromFloats(dt, sShape, yc)
		if err != nil {
			return nil, err
		}
		outs = append(outs, c)
	}
	return outs, nil
}

// direction runs direction d over the sequence, writing Y's slots of that
// direction and the final states.
func (l *layer) direction(p *params, d int, y, yh, yc []float64) {
	h, nb, g, ni := l.hidden, p.batch, l.kind.gates(), p.in
	w := p.w[d*g*h*ni : (d+1)*g*h*ni]
	r := p.r[d*g*h*h : (d+1)*g*h*h]
	var wb, rb []float64
	if p.b != nil {
		wb = p.b[d*2*g*h : d*2*g*h+g*h]
		rb = p.b[d*2*g*h+g*h : (d+1)*2*g*h]
	} else {
		wb, rb = make([]float64, g*h), make([]float64, g*h)
	}
	var peep []float64
	if p.p != nil {
		peep = p.p[d*3*h : (d+1)*3*h]
	}
	acts := l.acts[d]
	reverse := l.reverse || d == 1
	hs := make([]float64, nb*h)
	cs := make([]float64, nb*h)
	if p.h0 != nil {
		copy(hs, p.h0[d*nb*h:(d+1)*nb*h])
	}
	if p.c0 != nil {
		copy(cs, p.c0[d*nb*h:(d+1)*nb*h])
	}
	xw := make([]float64, g*h) // X·Wᵀ + Wb
	hr := make([]float64, g*h) // H·Rᵀ + Rb
	newH := make([]float64, h)
	zs, rs := make([]float64, h), make([]float64, h) // GRU gates
	clip := func(v float64) float64 {
		if l.clip > 0 {
			return math.Max(-l.clip, math.Min(l.clip, v))
		}
		return v
	}
	for b := 0; b < nb; b++ {
		steps := p.seq
		if p.lens != nil {
			steps = int(min(max(p.lens[b], 0), int64(p.seq)))
		}
		hb, cb := hs[b*h:(b+1)*h], cs[b*h:(b+1)*h]
		for s := 0; s < steps; s++ {
			t := s
			if reverse {
				t = steps - 1 - s
			}
			xt := p.x[(t*nb+b)*ni : (t*nb+b+1)*ni]
			affine(xw, w, xt, wb)
			affine(hr, r, hb, rb)
			switch l.kind {
			case cellRNN:
				for j := 0; j < h; j++ {
					newH[j] = acts[0](clip(xw[j] + hr[j]))
				}
			case cellGRU:
				// Gate blocks z, r, h.
				for j := 0; j < h; j++ {
					zs[j] = acts[0](clip(xw[j] + hr[j]))
					rs[j] = acts[0](clip(xw[h+j] + hr[h+j]))
				}
				for j := 0; j < h; j++ {
					var pre float64
					if l.linearBeforeRst {
						pre = xw[2*h+j] + rs[j]*hr[2*h+j]
					} else {
						// (r ⊙ H)·Rhᵀ + Rbh
						s := rb[2*h+j]
						row := r[(2*h+j)*h : (2*h+j+1)*h]
						for k, v := range hb {
							s += rs[k] * v * row[k]
						}
						pre = xw[2*h+j] + s
					}
					newH[j] = (1-zs[j])*acts[1](clip(pre)) + zs[j]*hb[j]
				}
			case cellLSTM:
				// Gate blocks i, o, f, c; peepholes i, o, f.
				for j := 0; j < h; j++ {
					var pi, po, pf float64
					if peep != nil {
						pi, po, pf = peep[j], peep[h+j], peep[2*h+j]
					}
					ig := acts[0](clip(xw[j] + hr[j] + pi*cb[j]))
					fg := acts[0](clip(xw[2*h+j] + hr[2*h+j] + pf*cb[j]))
					if l.inputForget {
						fg = 1 - ig
					}
					cg := acts[1](clip(xw[3*h+j] + hr[3*h+j]))
					c := fg*cb[j] + ig*cg
					og := acts[0](clip(xw[h+j] + hr[h+j] + po*c))
					newH[j] = og * acts[2](c)
					cb[j] = c // cb[j] is read only by unit j
				}
			}
			copy(hb, newH)
			copy(y[((t*l.dirs+d)*nb+b)*h:][:h], hb)
		}
		copy(yh[b*h:(b+1)*h], hb)
		copy(yc[b*h:(b+1)*h], cb)
	}
}

// affine computes dst = m·v + bias for a row-major matrix m.
func affine(dst, m, v, bias []float64) {
	n := len(v)
	for i := range dst {
		s := bias[i]
		row := m[i*n : (i+1)*n]
		for k, x := range v {
			s += row[k] * x
		}
		dst[i] = s
	}
}
