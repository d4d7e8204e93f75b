package nn

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// resizeKernel is a compiled Resize or Upsample node. Every output element
// is a weighted sum over the product of per-axis taps (nearest: one tap,
// linear: two, cubic: four per axis), computed in float64 in a fixed order.
type resizeKernel struct {
	mode           string // nearest, linear or cubic
	coord          string // coordinate_transformation_mode
	nearest        string // nearest_mode
	cubicA         float64
	excludeOutside bool
	extrapolation  float64
	axes           []int64 // opset 18: the axes scales/sizes refer to
	aspect         string  // opset 18: keep_aspect_ratio_policy
	scalesAttr     []float32
	opset          int64
	upsample       bool
}

func buildResize(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &resizeKernel{opset: opset}
	var err error
	if k.mode, err = n.AttrString("mode", "nearest"); err != nil {
		return nil, err
	}
	if opset < 11 {
		// Resize-10 behaves as Upsample: asymmetric coordinates, and nearest
		// takes the floor.
		k.coord, k.nearest = "asymmetric", "floor"
		return k, k.checkMode()
	}
	if k.coord, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
		return nil, err
	}
	if k.nearest, err = n.AttrString("nearest_mode", "round_prefer_floor"); err != nil {
		return nil, err
	}
	a, err := n.AttrFloat("cubic_coeff_a", -0.75)
	if err != nil {
		return nil, err
	}
	k.cubicA = float64(a)
	ex, err := n.AttrInt("exclude_outside", 0)
	if err != nil {
		return nil, err
	}
	k.excludeOutside = ex != 0
	ev, err := n.AttrFloat("extrapolation_value", 0)
	if err != nil {
		return nil, err
	}
	k.extrapolation = float64(ev)
	if aa, err := n.AttrInt("antialias", 0); err != nil {
		return nil, err
	} else if aa != 0 {
		return nil, fmt.Errorf("antialias = 1 is not supported")
	}
	if k.axes, err = n.AttrInts("axes", nil); err != nil {
		return nil, err
	}
	if k.aspect, err = n.AttrString("keep_aspect_ratio_policy", "stretch"); err != nil {
		return nil, err
	}
	switch k.aspect {
	case "stretch", "not_larger", "not_smaller":
	default:
		return nil, fmt.Errorf("keep_aspect_ratio_policy = %q, want stretch, not_larger or not_smaller", k.aspect)
	}
	switch k.coord {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric":
	default:
		return nil, fmt.Errorf("coordinate_transformation_mode = %q is not supported", k.coord)
	}
	switch k.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return nil, fmt.Errorf("nearest_mode = %q is not supported", k.nearest)
	}
	return k, k.checkMode()
}

func buildUpsample(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &resizeKernel{opset: opset, upsample: true, coord: "asymmetric", nearest: "floor"}
	var err error
	if k.mode, err = n.AttrString("mode", "nearest"); err != nil {
		return nil, err
	}
	if k.mode == "bilinear" {
		k.mode = "linear"
	}
	if opset < 9 {
		if k.scalesAttr, err = n.AttrFloats("scales", nil); err != nil {
			return nil, err
		}
		if k.scalesAttr == nil {
			return nil, fmt.Errorf("attribute scales is required before opset 9")
		}
	}
	return k, k.checkMode()
}

func (k *resizeKernel) checkMode() error {
	switch k.mode {
	case "nearest", "linear", "cubic":
		return nil
	}
	return fmt.Errorf("mode = %q, want nearest, linear or cubic", k.mode)
}

// plan works out the output shape, the scale and the roi of every axis.
func (k *resizeKernel) plan(x *tensor.Tensor, in []*tensor.Tensor) (out []int, scales, roi []float64, err error) {
	rank := x.Rank()
	var scalesT, sizesT, roiT *tensor.Tensor
	switch {
	case k.upsample && k.opset < 9:
	case k.upsample || k.opset < 11:
		scalesT = kernel.Input(in, 1)
	default:
		roiT, scalesT, sizesT = kernel.Input(in, 1), kernel.Input(in, 2), kernel.Input(in, 3)
	}
	axes := make([]int, rank)
	for i := range axes {
		axes[i] = i
	}
	if len(k.axes) > 0 {
		axes = axes[:0]
		for _, a := range k.axes {
			ax, err := kernel.NormalizeAxis(a, rank)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("axes: %w", err)
			}
			axes = append(axes, ax)
		}
	}
	out = append([]int{}, x.Shape...)
	scales = make([]float64, rank)
	for i := range scales {
		scales[i] = 1
	}
	roi = make([]float64, 2*rank)
	for i := 0; i < rank; i++ {
		roi[rank+i] = 1
	}
	if roiT != nil && roiT.Len() > 0 {
		v, err := kernel.Floats(roiT)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("roi: %w", err)
		}
		if len(v) != 2*len(axes) {
			return nil, nil, nil, fmt.Errorf("roi has %d values, want %d", len(v), 2*len(axes))
		}
		for i, a := range axes {
			roi[a], roi[rank+a] = v[i], v[len(axes)+i]
		}
	}
	switch {
	case sizesT != nil && sizesT.Len() > 0:
		sz, err := kernel.Ints(sizesT)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("sizes: %w", err)
		}
		if len(sz) != len(axes) {
			return nil, nil, nil, fmt.Errorf("sizes has %d values for %d axes", len(sz), len(axes))
		}
		if k.aspect != "stretch" {
			s := math.Inf(1)
			if k.aspect == "not_smaller" {
				s = math.Inf(-1)
			}
			for i, a := range axes {
				r := float64(sz[i]) / float64(x.Shape[a])
				if k.aspect == "not_larger" {
					s = math.Min(s, r)
				} else {
					s = math.Max(s, r)
				}
			}
			for i, a := range axes {
				sz[i] = int64(math.RoundToEven(s * float64(x.Shape[a])))
				scales[a] = s
			}
		}
		for i, a := range axes {
			if sz[i] < 0 {
				return nil, nil, nil, fmt.Errorf("sizes has negative value %d", sz[i])
			}
			out[a] = int(sz[i])
			if k.aspect == "stretch" {
				scales[a] = float64(sz[i]) / float64(x.Shape[a])
			}
		}
	case scalesT != nil || k.scalesAttr != nil:
		var v []float64
		if scalesT != nil {
			if v, err = kernel.Floats(scalesT); err != nil {
				return nil, nil, nil, fmt.Errorf("scales: %w", err)
			}
		} else {
			for _, s := range k.scalesAttr {
				v = append(v, float64(s))
			}
		}
		if len(v) != len(axes) {
			return nil, nil, nil, fmt.Errorf("scales has %d values for %d axes", len(v), len(axes))
		}
		for i, a := range axes {
			if !(v[i] > 0) {
				return nil, nil, nil, fmt.Errorf("scale %g must be positive", v[i])
			}
			scales[a] = v[i]
			out[a] = int(math.Floor(float64(x.Shape[a]) * v[i]))
		}
	default:
		return nil, nil, nil, fmt.Errorf("neither scales nor sizes is given")
	}
	return out, scales, roi, nil
}

// axisTaps are the source indices and weights of one output coordinate
// along one axis; extrapolate marks a coordinate outside the crop.
type axisTaps struct {
	idx         []int
	w           []float64
	extrapolate bool
}

func (k *resizeKernel) taps(o, inLen, outLen int, scale, roiStart, roiEnd float64) axisTaps {
	outWidth := scale * float64(inLen)
	fo := float64(o)
	var x float64
	switch k.coord {
	case "align_corners":
		if outWidth == 1 {
			x = 0
		} else {
			x = fo * float64(inLen-1) / (outWidth - 1)
		}
	case "asymmetric":
		x = fo / scale
	case "tf_crop_and_resize":
		if outWidth == 1 {
			x = (roiEnd - roiStart) * float64(inLen-1) / 2
		} else {
			x = fo * (roiEnd - roiStart) * float64(inLen-1) / (outWidth - 1)
		}
		x += roiStart * float64(inLen-1)
		if x < 0 || x > float64(inLen-1) {
			return axisTaps{extrapolate: true}
		}
	case "pytorch_half_pixel":
		if outWidth == 1 {
			x = -0.5
		} else {
			x = (fo+0.5)/scale - 0.5
		}
	case "half_pixel":
		x = (fo+0.5)/scale - 0.5
	case "half_pixel_symmetric":
		adj := float64(outLen) / outWidth
		center := float64(inLen) / 2
		off := center * (1 - adj)
		x = off + (fo+0.5)/scale - 0.5
	case "tf_half_pixel_for_nn":
		x = (fo + 0.5) / scale
	}
	base := math.Floor(x)
	ratio := x - base
	if ratio == 0 {
		// The reference prefers the left neighbour: ratio 1 from x-1.
		ratio, base = 1, base-1
	}
	var coeffs []float64
	switch k.mode {
	case "nearest":
		var right bool
		switch k.nearest {
		case "round_prefer_floor":
			right = ratio > 0.5
		case "round_prefer_ceil":
			right = ratio >= 0.5
		case "floor":
			right = ratio == 1
		case "ceil":
			right = true
		}
		if right {
			coeffs = []float64{0, 1}
		} else {
			coeffs = []float64{1, 0}
		}
	case "linear":
		coeffs = []float64{1 - ratio, ratio}
	case "cubic":
		coeffs = cubicCoeffs(ratio, k.cubicA)
	}
	n := len(coeffs)
	pad := (n + 1) / 2
	start := int(base) - n/2 + 1
	start = max(-pad, min(start, inLen+pad-n))
	t := axisTaps{}
	sum := 0.0
	for j, c := range coeffs {
		i := start + j
		if k.excludeOutside && (i < 0 || i >= inLen) {
			c = 0
		}
		coeffs[j] = c
		sum += c
	}
	for j, c := range coeffs {
		if k.excludeOutside {
			c /= sum
		}
		if c == 0 {
			continue
		}
		t.idx = append(t.idx, max(0, min(start+j, inLen-1)))
		t.w = append(t.w, c)
	}
	return t
}

func cubicCoeffs(r, a float64) []float64 {
	s := 1 - r
	return []float64{
		((a*(r+1)-5*a)*(r+1)+8*a)*(r+1) - 4*a,
		((a+2)*r-(a+3))*r*r + 1,
		((a+2)*s-(a+3))*s*s + 1,
		((a*(s+1)-5*a)*(s+1)+8*a)*(s+1) - 4*a,
	}
}

func (k *resizeKernel) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	outShape, scales, roi, err := k.plan(x, in)
	if err != nil {
		return nil, err
	}
	rank := x.Rank()
	tab := make([][]axisTaps, rank)
	for a := 0; a < rank; a++ {
		tab[a] = make([]axisTaps, outShape[a])
		for o := range tab[a] {
			tab[a][o] = k.taps(o, x.Shape[a], outShape[a], scales[a], roi[a], roi[rank+a])
		}
	}
	xs, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	var y []float64
	if k.coord == "tf_crop_and_resize" {
		y = resizeProduct(xs, x.Shape, outShape, tab, k.extrapolation)
	} else {
		y = resizeSeparable(xs, x.Shape, tab)
	}
	if !kernel.IsFloat(x.DType) {
		for i, v := range y {
			y[i] = math.RoundToEven(v)
		}
	}
	out, err := kernel.FromFloats(x.DType, outShape, y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

// resizeSeparable interpolates one axis at a time, innermost first, as the
// ONNX reference nests its 1-D interpolations; axes whose taps are the
// identity are skipped.
func resizeSeparable(xs []float64, inShape []int, tab [][]axisTaps) []float64 {
	cur := xs
	shape := append([]int{}, inShape...)
	for a := len(shape) - 1; a >= 0; a-- {
		taps := tab[a]
		identity := len(taps) == shape[a]
		for o := 0; identity && o < len(taps); o++ {
			t := taps[o]
			identity = len(t.idx) == 1 && t.idx[0] == o && t.w[0] == 1
		}
		if identity {
			continue
		}
		outer := tensor.NumElements(shape[:a])
		inner := tensor.NumElements(shape[a+1:])
		inLen, outLen := shape[a], len(taps)
		next := make([]float64, outer*outLen*inner)
		for p := 0; p < outer; p++ {
			src := cur[p*inLen*inner : (p+1)*inLen*inner]
			for o, t := range taps {
				dst := next[(p*outLen+o)*inner : (p*outLen+o+1)*inner]
				for j, i := range t.idx {
					w := t.w[j]
					row := src[i*inner : (i+1)*inner]
					for q, v := range row {
						dst[q] += w * v
					}
				}
			}
		}
		cur = next
		shape[a] = outLen
	}
	return cur // may be xs itself: the caller copies into the output tensor
}

// resizeProduct sums over the product of every axis' taps per output
// element; an element with an axis outside the crop gets extrapolation.
func resizeProduct(xs []float64, inShape, outShape []int, tab [][]axisTaps, extrapolation float64) []float64 {
	rank := len(inShape)
	st := kernel.Strides(inShape)
	y := make([]float64, tensor.NumElements(outShape))
	coord := make([]int, rank)
	cur := make([]*axisTaps, rank)
	var acc func(a, off int, w float64) float64
	acc = func(a, off int, w float64) float64 {
		if a == rank {
			return w * xs[off]
		}
		t := cur[a]
		s := 0.0
		for j, i := range t.idx {
			s += acc(a+1, off+i*st[a], w*t.w[j])
		}
		return s
	}
	for p := range y {
		extrap := false
		for a := 0; a < rank; a++ {
			cur[a] = &tab[a][coord[a]]
			extrap = extrap || cur[a].extrapolate
		}
		if extrap {
			y[p] = extrapolation
		} else {
			y[p] = acc(0, 0, 1)
		}
		for a := rank - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < outShape[a] {
				break
			}
			coord[a] = 0
		}
	}
	return y
}
