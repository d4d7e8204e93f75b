package nn

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// convTransposeKernel is a compiled ConvTranspose node (float32).
type convTransposeKernel struct {
	attrs         windowAttrs
	group         int
	outputPadding []int
	outputShape   []int
	packed        [][]float32
	packedShape   []int
}

func buildConvTranspose(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	attrs, err := readWindowAttrs(n)
	if err != nil {
		return nil, err
	}
	group, err := n.AttrInt("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 {
		return nil, fmt.Errorf("group = %d, want >= 1", group)
	}
	op, err := n.AttrInts("output_padding", nil)
	if err != nil {
		return nil, err
	}
	os, err := n.AttrInts("output_shape", nil)
	if err != nil {
		return nil, err
	}
	k := &convTransposeKernel{attrs: attrs, group: int(group)}
	if op != nil {
		k.outputPadding = ints(op)
	}
	if os != nil {
		k.outputShape = ints(os)
	}
	if len(consts) > 1 && consts[1] != nil {
		w := consts[1]
		if err := k.checkWeights(w); err != nil {
			return nil, err
		}
		k.packed = packConvTransposeWeights(w, k.group)
		k.packedShape = append([]int{}, w.Shape...)
	}
	return k, nil
}

func (k *convTransposeKernel) checkWeights(w *tensor.Tensor) error {
	if w.DType != tensor.Float32 {
		return fmt.Errorf("input W has type %s, want float32", w.DType)
	}
	if w.Rank() < 3 {
		return fmt.Errorf("input W has shape %v, want rank >= 3 (C, M/group, k...)", w.Shape)
	}
	nsp := w.Rank() - 2
	if err := k.attrs.check(nsp); err != nil {
		return err
	}
	if w.Shape[0]%k.group != 0 {
		return fmt.Errorf("W has %d input channels, not a multiple of group %d", w.Shape[0], k.group)
	}
	if ks := k.attrs.kernelShape; ks != nil {
		for i, v := range ks {
			if w.Shape[2+i] != v {
				return fmt.Errorf("kernel_shape %v does not match W shape %v", ks, w.Shape)
			}
		}
	}
	if op := k.outputPadding; op != nil && len(op) != nsp {
		return fmt.Errorf("output_padding has %d values, want %d for %d spatial axes", len(op), nsp, nsp)
	}
	if os := k.outputShape; os != nil && len(os) != nsp && len(os) != nsp+2 {
		return fmt.Errorf("output_shape has %d values, want %d for %d spatial axes", len(os), nsp, nsp)
	}
	return nil
}

// packConvTransposeWeights packs, per group, the transpose of W's
// (C/group) × (M/group·prod(k)) block.
func packConvTransposeWeights(w *tensor.Tensor, group int) [][]float32 {
	cg := w.Shape[0] / group
	rows := tensor.NumElements(w.Shape[1:])
	data := w.Float32s()
	out := make([][]float32, group)
	for g := range out {
		out[g] = make([]float32, packedSizeA(rows, cg))
		packA(out[g], rows, cg, data[g*cg*rows:], rows, true, 1)
	}
	return out
}

// floorDiv2 is floor(x/2) for any sign.
func floorDiv2(x int) int {
	if x < 0 {
		return -((-x + 1) / 2)
	}
	return x / 2
}

// geometry resolves the output size and begin pads of a ConvTranspose:
// out = s·(in-1) + output_padding + (k-1)·d + 1 - pb - pe, with pads given,
// or derived from output_shape (or in·s under SAME_*) as total padding
// split in half (the larger half at the end for SAME_UPPER, at the beginning
// otherwise).
func (k *convTransposeKernel) geometry(in, ks []int) (window, error) {
	nsp := len(in)
	var g window
	g.nsp = nsp
	strides := orOnes(k.attrs.strides, nsp)
	dil := orOnes(k.attrs.dilations, nsp)
	off := maxSpatial - nsp
	for i := 0; i < maxSpatial; i++ {
		g.in[i], g.k[i], g.out[i], g.s[i], g.d[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < nsp; i++ {
		a := off + i
		g.in[a], g.k[a], g.s[a], g.d[a] = in[i], ks[i], strides[i], dil[i]
		opad := 0
		if k.outputPadding != nil {
			opad = k.outputPadding[i]
		}
		full := strides[i]*(in[i]-1) + opad + (ks[i]-1)*dil[i] + 1
		target := -1
		if os := k.outputShape; os != nil {
			target = os[len(os)-nsp+i]
		} else if k.attrs.autoPad == "SAME_UPPER" || k.attrs.autoPad == "SAME_LOWER" {
			target = in[i] * strides[i]
		}
		if target >= 0 {
			total := full - target
			if k.attrs.autoPad == "SAME_UPPER" {
				g.pb[a] = floorDiv2(total)
				g.pe[a] = total - g.pb[a]
			} else {
				g.pe[a] = floorDiv2(total)
				g.pb[a] = total - g.pe[a]
			}
			g.out[a] = target
			continue
		}
		if k.attrs.pads != nil && k.attrs.autoPad == "NOTSET" {
			g.pb[a], g.pe[a] = k.attrs.pads[i], k.attrs.pads[i+nsp]
		}
		g.out[a] = full - g.pb[a] - g.pe[a]
		if g.out[a] < 0 {
			return g, fmt.Errorf("output size %d on spatial axis %d is negative (pads %d+%d)", g.out[a], i, g.pb[a], g.pe[a])
		}
	}
	return g, nil
}

func (k *convTransposeKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(inputs, 2); err != nil {
		return nil, err
	}
	x, w, b := inputs[0], inputs[1], kernel.Input(inputs, 2)
	if x.DType != tensor.Float32 {
		return nil, fmt.Errorf("input X has type %s, want float32", x.DType)
	}
	if err := k.checkWeights(w); err != nil {
		return nil, err
	}
	if x.Rank() != w.Rank() {
		return nil, fmt.Errorf("input X has shape %v and W %v: ranks differ", x.Shape, w.Shape)
	}
	batch, c := x.Shape[0], x.Shape[1]
	if c != w.Shape[0] {
		return nil, fmt.Errorf("X has %d channels, W has %d", c, w.Shape[0])
	}
	cg, mg := c/k.group, w.Shape[1]
	m := mg * k.group
	if b != nil && (b.DType != tensor.Float32 || b.Len() != m || b.Rank() != 1) {
		return nil, fmt.Errorf("input B is %v, want float32[%d]", b, m)
	}
	g, err := k.geometry(x.Shape[2:], w.Shape[2:])
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, append([]int{batch, m}, g.outShape()...)...)
	packed := k.packed
	if packed == nil || !tensor.SameShape(k.packedShape, w.Shape) {
		packed = packConvTransposeWeights(w, k.group)
	}
	ys, xs := y.Float32s(), x.Float32s()
	in, out, ks := g.inSize(), g.outSize(), g.kSize()
	rows := mg * ks
	cols := make([]float32, rows*in)
	pb := make([]float32, packedSizeB(cg, in))
	for n := 0; n < batch; n++ {
		for gr := 0; gr < k.group; gr++ {
			ych := ys[(n*m+gr*mg)*out : (n*m+(gr+1)*mg)*out]
			if b != nil {
				bias := b.Float32s()
				for o := 0; o < mg; o++ {
					bv := bias[gr*mg+o]
					row := ych[o*out : (o+1)*out]
					for j := range row {
						row[j] = bv
					}
				}
			}
			if in == 0 || cg == 0 {
				continue
			}
			packB(pb, cg, in, xs[(n*c+gr*cg)*in:(n*c+(gr+1)*cg)*in], in, false)
			sgemmPacked(rows, in, cg, packed[gr], pb, cols, in, false, true)
			col2im(ych, cols, mg, &g)
		}
	}
	return []*tensor.Tensor{y}, nil
}

// col2im scatters cols (rows: output channel and kernel tap, columns: input
// positions) into y (mg channels of g.out), adding.
//
// Naive reference: y[o, i·s - pb + t·d] += cols[o·kSize + t, i] for every
// input position i and tap t landing inside the output.
func col2im(y, cols []float32, mg int, g *window) {
	ks, in, out := g.kSize(), g.inSize(), g.outSize()
	parallelFor(workers(2*mg*ks*in, mg), mg, func(o int) {
		yo := y[o*out : (o+1)*out]
		t := 0
		for ta := 0; ta < g.k[0]; ta++ {
			for tb := 0; tb < g.k[1]; tb++ {
				for tc := 0; tc < g.k[2]; tc++ {
					src := cols[(o*ks+t)*in : (o*ks+t+1)*in]
					t++
					for a := 0; a < g.in[0]; a++ {
						z := a*g.s[0] - g.pb[0] + ta*g.d[0]
						if z < 0 || z >= g.out[0] {
							continue
						}
						for bb := 0; bb < g.in[1]; bb++ {
							yy := bb*g.s[1] - g.pb[1] + tb*g.d[1]
							if yy < 0 || yy >= g.out[1] {
								continue
							}
							row := yo[(z*g.out[1]+yy)*g.out[2] : (z*g.out[1]+yy+1)*g.out[2]]
							s := src[(a*g.in[1]+bb)*g.in[2] : (a*g.in[1]+bb+1)*g.in[2]]
							for j, v := range s {
								xx := j*g.s[2] - g.pb[2] + tc*g.d[2]
								if xx >= 0 && xx < g.out[2] {
									row[xx] += v
								}
							}
						}
					}
				}
			}
		}
	})
}
