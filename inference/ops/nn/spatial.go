package nn

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
)

// maxSpatial is the number of spatial axes the sliding-window operators
// handle; lower ranks are run as 3-D windows with leading unit axes.
const maxSpatial = 3

// windowAttrs are the attributes shared by Conv, ConvTranspose and the
// pooling operators. Slices are nil when the attribute is absent.
type windowAttrs struct {
	autoPad     string
	kernelShape []int
	strides     []int
	dilations   []int
	pads        []int
}

func readWindowAttrs(n *onnx.Node) (windowAttrs, error) {
	var w windowAttrs
	var err error
	if w.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return w, err
	}
	switch w.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return w, fmt.Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", w.autoPad)
	}
	for _, a := range []struct {
		name string
		dst  *[]int
	}{{"kernel_shape", &w.kernelShape}, {"strides", &w.strides}, {"dilations", &w.dilations}, {"pads", &w.pads}} {
		v, err := n.AttrInts(a.name, nil)
		if err != nil {
			return w, err
		}
		if v == nil {
			continue
		}
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		*a.dst = out
	}
	return w, nil
}

// check validates the attribute lengths and values for nsp spatial axes.
func (w windowAttrs) check(nsp int) error {
	if nsp < 1 || nsp > maxSpatial {
		return fmt.Errorf("%d spatial axes, papdl supports 1 to %d", nsp, maxSpatial)
	}
	for _, a := range []struct {
		name string
		v    []int
		min  int
	}{{"kernel_shape", w.kernelShape, 1}, {"strides", w.strides, 1}, {"dilations", w.dilations, 1}} {
		if a.v == nil {
			continue
		}
		if len(a.v) != nsp {
			return fmt.Errorf("%s has %d values, want %d for %d spatial axes", a.name, len(a.v), nsp, nsp)
		}
		for i, x := range a.v {
			if x < a.min {
				return fmt.Errorf("%s[%d] = %d, want >= %d", a.name, i, x, a.min)
			}
		}
	}
	if w.pads != nil {
		if len(w.pads) != 2*nsp {
			return fmt.Errorf("pads has %d values, want %d for %d spatial axes", len(w.pads), 2*nsp, nsp)
		}
		for i, x := range w.pads {
			if x < 0 {
				return fmt.Errorf("pads[%d] = %d is negative", i, x)
			}
		}
	}
	return nil
}

func orOnes(v []int, n int) []int {
	if v != nil {
		return v
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// window is the resolved geometry of a sliding window over up to three
// spatial axes, always stored as three axes (leading axes of size 1).
type window struct {
	nsp                      int
	in, k, out, s, d, pb, pe [maxSpatial]int
}

// resolveWindow computes output sizes and begin/end pads for a Conv or pool
// window over input spatial sizes in with kernel sizes k. ceil selects
// ceil_mode rounding (pools only).
//
// NOTSET: out = floor((in + pb + pe - ((k-1)·d + 1)) / s) + 1.
// VALID: as NOTSET with zero pads.
// SAME_UPPER / SAME_LOWER: out = ceil(in / s) with total padding
// max(0, (out-1)·s + (k-1)·d + 1 - in), the odd unit at the end (UPPER) or
// the beginning (LOWER).
func resolveWindow(w windowAttrs, in, k []int, ceil bool) (window, error) {
	nsp := len(in)
	var g window
	g.nsp = nsp
	strides := orOnes(w.strides, nsp)
	dil := orOnes(w.dilations, nsp)
	off := maxSpatial - nsp
	for i := 0; i < maxSpatial; i++ {
		g.in[i], g.k[i], g.out[i], g.s[i], g.d[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < nsp; i++ {
		a := off + i
		g.in[a], g.k[a], g.s[a], g.d[a] = in[i], k[i], strides[i], dil[i]
		ext := (k[i]-1)*dil[i] + 1
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out := (in[i] + strides[i] - 1) / strides[i]
			total := max(0, (out-1)*strides[i]+ext-in[i])
			small := total / 2
			if w.autoPad == "SAME_UPPER" {
				g.pb[a], g.pe[a] = small, total-small
			} else {
				g.pb[a], g.pe[a] = total-small, small
			}
			g.out[a] = out
			continue
		case "NOTSET":
			if w.pads != nil {
				g.pb[a], g.pe[a] = w.pads[i], w.pads[i+nsp]
			}
		}
		span := in[i] + g.pb[a] + g.pe[a] - ext
		if span < 0 {
			return g, fmt.Errorf("window of extent %d on spatial axis %d does not fit input size %d with pads %d+%d", ext, i, in[i], g.pb[a], g.pe[a])
		}
		out := span/strides[i] + 1
		if ceil && span%strides[i] != 0 {
			out++
			// The last window must start inside the input or the begin pad.
			if (out-1)*strides[i] >= in[i]+g.pb[a] {
				out--
			}
		}
		g.out[a] = out
	}
	return g, nil
}

// outShape returns the spatial output sizes (nsp of them).
func (g *window) outShape() []int {
	return append([]int{}, g.out[maxSpatial-g.nsp:]...)
}

func (g *window) outSize() int { return g.out[0] * g.out[1] * g.out[2] }

func (g *window) inSize() int { return g.in[0] * g.in[1] * g.in[2] }

func (g *window) kSize() int { return g.k[0] * g.k[1] * g.k[2] }

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
