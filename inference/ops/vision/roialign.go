package vision

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

type roiAlign struct {
	max           bool
	oh, ow        int
	samplingRatio int
	spatialScale  float64
	halfPixel     bool
}

func buildRoiAlign(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &roiAlign{}
	mode, err := n.AttrString("mode", "avg")
	if err != nil {
		return nil, err
	}
	if mode != "avg" && mode != "max" {
		return nil, fmt.Errorf("mode = %q, want avg or max", mode)
	}
	k.max = mode == "max"
	for _, a := range []struct {
		name string
		dst  *int
		def  int64
	}{{"output_height", &k.oh, 1}, {"output_width", &k.ow, 1}, {"sampling_ratio", &k.samplingRatio, 0}} {
		v, err := n.AttrInt(a.name, a.def)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fmt.Errorf("%s = %d is negative", a.name, v)
		}
		*a.dst = int(v)
	}
	s, err := n.AttrFloat("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	k.spatialScale = float64(s)
	ctm := "output_half_pixel"
	if opset >= 16 {
		if ctm, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
	}
	if ctm != "half_pixel" && ctm != "output_half_pixel" {
		return nil, fmt.Errorf("coordinate_transformation_mode = %q, want half_pixel or output_half_pixel", ctm)
	}
	k.halfPixel = ctm == "half_pixel"
	return k, nil
}

func (k *roiAlign) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 3); err != nil {
		return nil, err
	}
	x, rois, bi := in[0], in[1], in[2]
	if x.Rank() != 4 || rois.Rank() != 2 || rois.Shape[1] != 4 {
		return nil, fmt.Errorf("X %v and rois %v, want (N, C, H, W) and (R, 4)", x.Shape, rois.Shape)
	}
	nr := rois.Shape[0]
	idx, err := kernel.Ints(bi)
	if err != nil || len(idx) != nr {
		return nil, fmt.Errorf("batch_indices must hold %d integers", nr)
	}
	xv, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	rv, err := kernel.Floats(rois)
	if err != nil {
		return nil, err
	}
	nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := make([]float64, nr*c*k.oh*k.ow)
	off := 0.0
	if k.halfPixel {
		off = 0.5
	}
	for r := 0; r < nr; r++ {
		b := int(idx[r])
		if b < 0 || b >= nb {
			return nil, fmt.Errorf("batch index %d out of range [0, %d)", b, nb)
		}
		sw, sh := rv[r*4]*k.spatialScale-off, rv[r*4+1]*k.spatialScale-off
		ew, eh := rv[r*4+2]*k.spatialScale-off, rv[r*4+3]*k.spatialScale-off
		rw, rh := ew-sw, eh-sh
		if !k.halfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(k.oh), rw/float64(k.ow)
		gh, gw := k.samplingRatio, k.samplingRatio
		if gh == 0 {
			gh, gw = int(math.Ceil(rh/float64(k.oh))), int(math.Ceil(rw/float64(k.ow)))
		}
		count := float64(max(gh*gw, 1))
		for ch := 0; ch < c; ch++ {
			plane := xv[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
			for py := 0; py < k.oh; py++ {
				for px := 0; px < k.ow; px++ {
					acc := 0.0
					first := true
					for iy := 0; iy < gh; iy++ {
						yy := sh + float64(py)*bh + (float64(iy)+0.5)*bh/float64(gh)
						for ix := 0; ix < gw; ix++ {
							xx := sw + float64(px)*bw + (float64(ix)+0.5)*bw/float64(gw)
							v, vmax := bilinearAt(plane, h, w, yy, xx)
							if k.max {
								if first || vmax > acc {
									acc = vmax
								}
								first = false
							} else {
								acc += v
							}
						}
					}
					if !k.max {
						acc /= count
					}
					y[((r*c+ch)*k.oh+py)*k.ow+px] = acc
				}
			}
		}
	}
	out, err := kernel.FromFloats(x.DType, []int{nr, c, k.oh, k.ow}, y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

// bilinearAt samples plane (h×w) at (y, x) as RoiAlign does: 0 outside
// [-1, h]×[-1, w], edges clamped. It returns the weighted sum and the
// largest weighted corner (for max mode).
func bilinearAt(plane []float64, h, w int, y, x float64) (float64, float64) {
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) {
		return 0, 0
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	a := hy * hx * plane[yl*w+xl]
	b := hy * lx * plane[yl*w+xh]
	c := ly * hx * plane[yh*w+xl]
	d := ly * lx * plane[yh*w+xh]
	return a + b + c + d, math.Max(math.Max(a, b), math.Max(c, d))
}
