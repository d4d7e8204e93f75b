package vision

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

type gridSample struct {
	mode, padding string
	alignCorners  bool
}

func buildGridSample(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &gridSample{}
	var err error
	if k.mode, err = n.AttrString("mode", "bilinear"); err != nil {
		return nil, err
	}
	switch k.mode {
	case "linear":
		k.mode = "bilinear"
	case "cubic":
		k.mode = "bicubic"
	case "bilinear", "nearest", "bicubic":
	default:
		return nil, fmt.Errorf("mode = %q, want bilinear, nearest or bicubic", k.mode)
	}
	if k.padding, err = n.AttrString("padding_mode", "zeros"); err != nil {
		return nil, err
	}
	switch k.padding {
	case "zeros", "border", "reflection":
	default:
		return nil, fmt.Errorf("padding_mode = %q, want zeros, border or reflection", k.padding)
	}
	ac, err := n.AttrInt("align_corners", 0)
	if err != nil {
		return nil, err
	}
	k.alignCorners = ac != 0
	return k, nil
}

// denormalize maps a grid coordinate in [-1, 1] to pixel units.
func (k *gridSample) denormalize(v float64, size int) float64 {
	if k.alignCorners {
		return (v + 1) / 2 * float64(size-1)
	}
	return ((v+1)*float64(size) - 1) / 2
}

// bounds are the reflection limits of an axis.
func (k *gridSample) bounds(size int) (float64, float64) {
	if k.alignCorners {
		return 0, float64(size - 1)
	}
	return -0.5, float64(size) - 0.5
}

func reflect(x, lo, hi float64) float64 {
	r := hi - lo
	if r <= 0 {
		return lo
	}
	switch {
	case x < lo:
		d := lo - x
		n := math.Floor(d / r)
		m := d - n*r
		if int64(n)%2 == 0 {
			return lo + m
		}
		return hi - m
	case x > hi:
		d := x - hi
		n := math.Floor(d / r)
		m := d - n*r
		if int64(n)%2 == 0 {
			return hi - m
		}
		return lo + m
	}
	return x
}

// pixel reads plane (h×w) at integer (y, x) under the padding mode.
func (k *gridSample) pixel(plane []float64, h, w, y, x int) float64 {
	switch k.padding {
	case "zeros":
		if y < 0 || y >= h || x < 0 || x >= w {
			return 0
		}
	case "border":
		y, x = max(0, min(y, h-1)), max(0, min(x, w-1))
	case "reflection":
		if y < 0 || y >= h || x < 0 || x >= w {
			ylo, yhi := k.bounds(h)
			xlo, xhi := k.bounds(w)
			y = int(reflect(float64(y), ylo, yhi))
			x = int(reflect(float64(x), xlo, xhi))
			y, x = max(0, min(y, h-1)), max(0, min(x, w-1))
		}
	}
	return plane[y*w+x]
}

func cubic(t float64) [4]float64 {
	const a = -0.75
	c := func(x float64) float64 {
		x = math.Abs(x)
		if x <= 1 {
			return ((a+2)*x-(a+3))*x*x + 1
		}
		if x < 2 {
			return ((a*x-5*a)*x+8*a)*x - 4*a
		}
		return 0
	}
	return [4]float64{c(t + 1), c(t), c(1 - t), c(2 - t)}
}

func (k *gridSample) sample(plane []float64, h, w int, x, y float64) float64 {
	if k.mode != "bicubic" {
		switch k.padding {
		case "border":
			x = math.Max(0, math.Min(x, float64(w-1)))
			y = math.Max(0, math.Min(y, float64(h-1)))
		case "reflection":
			xlo, xhi := k.bounds(w)
			ylo, yhi := k.bounds(h)
			x, y = reflect(x, xlo, xhi), reflect(y, ylo, yhi)
		}
	}
	switch k.mode {
	case "nearest":
		return k.pixel(plane, h, w, int(math.RoundToEven(y)), int(math.RoundToEven(x)))
	case "bilinear":
		x0, y0 := math.Floor(x), math.Floor(y)
		lx, ly := x-x0, y-y0
		xi, yi := int(x0), int(y0)
		return (1-ly)*((1-lx)*k.pixel(plane, h, w, yi, xi)+lx*k.pixel(plane, h, w, yi, xi+1)) +
			ly*((1-lx)*k.pixel(plane, h, w, yi+1, xi)+lx*k.pixel(plane, h, w, yi+1, xi+1))
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	cx, cy := cubic(x-x0), cubic(y-y0)
	xi, yi := int(x0)-1, int(y0)-1
	s := 0.0
	for i := 0; i < 4; i++ {
		row := 0.0
		for j := 0; j < 4; j++ {
			row += cx[j] * k.pixel(plane, h, w, yi+i, xi+j)
		}
		s += cy[i] * row
	}
	return s
}

func (k *gridSample) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 2); err != nil {
		return nil, err
	}
	x, grid := in[0], in[1]
	if x.Rank() != 4 || grid.Rank() != 4 || grid.Shape[0] != x.Shape[0] || grid.Shape[3] != 2 {
		return nil, fmt.Errorf("X %v and grid %v, want (N, C, H, W) and (N, Ho, Wo, 2)", x.Shape, grid.Shape)
	}
	xv, err := kernel.Floats(x)
	if err != nil {
		return nil, err
	}
	gv, err := kernel.Floats(grid)
	if err != nil {
		return nil, err
	}
	nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := grid.Shape[1], grid.Shape[2]
	y := make([]float64, nb*c*oh*ow)
	for b := 0; b < nb; b++ {
		for ch := 0; ch < c; ch++ {
			plane := xv[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
			for p := 0; p < oh*ow; p++ {
				g := gv[(b*oh*ow+p)*2:]
				sx, sy := k.denormalize(g[0], w), k.denormalize(g[1], h)
				y[(b*c+ch)*oh*ow+p] = k.sample(plane, h, w, sx, sy)
			}
		}
	}
	out, err := kernel.FromFloats(x.DType, []int{nb, c, oh, ow}, y)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
