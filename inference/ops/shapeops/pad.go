package shapeops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func buildPad(n *onnx.Node, opset int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	mode, err := n.AttrString("mode", "constant")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "constant", "reflect", "edge", "wrap":
	default:
		return nil, fmt.Errorf("Pad: attribute mode %q is not constant, reflect, edge or wrap", mode)
	}
	if opset < 11 {
		name := "pads"
		if opset < 2 {
			name = "paddings"
		}
		pads, has, err := attrIntsOpt(n, name)
		if err != nil {
			return nil, err
		}
		if !has {
			return nil, fmt.Errorf("Pad: attribute %s is required before opset 11", name)
		}
		value, err := n.AttrFloat("value", 0)
		if err != nil {
			return nil, err
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := kernel.NeedInputs(in, 1); err != nil {
				return nil, fmt.Errorf("Pad: %v", err)
			}
			var fill *tensor.Tensor
			if value != 0 && mode == "constant" {
				fill, err = castTensor(tensor.MustFromSlice([]float32{value}, 1), in[0].DType)
				if err != nil {
					return nil, fmt.Errorf("Pad: attribute value: %v", err)
				}
			}
			out, err := pad(in[0], pads, nil, mode, fill)
			if err != nil {
				return nil, err
			}
			return one(out), nil
		}), nil
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, fmt.Errorf("Pad: %v", err)
		}
		pads, err := intsInput(in[1], "Pad: pads input")
		if err != nil {
			return nil, err
		}
		var axes []int64
		if a := kernel.Input(in, 3); a != nil && opset >= 18 {
			if axes, err = intsInput(a, "Pad: axes input"); err != nil {
				return nil, err
			}
			if axes == nil {
				axes = []int64{}
			}
		}
		fill := kernel.Input(in, 2)
		if fill != nil {
			if fill.DType != in[0].DType {
				return nil, fmt.Errorf("Pad: constant_value input has type %s, data has %s", fill.DType, in[0].DType)
			}
			if fill.Len() != 1 {
				return nil, fmt.Errorf("Pad: constant_value input must hold one element, has shape %v", fill.Shape)
			}
		}
		out, err := pad(in[0], pads, axes, mode, fill)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

// pad implements ONNX Pad. pads lists the begin pads of every padded axis
// then the end pads; axes nil means every axis.
func pad(x *tensor.Tensor, pads, axes []int64, mode string, fill *tensor.Tensor) (*tensor.Tensor, error) {
	rank := x.Rank()
	var ax []int
	if axes == nil {
		ax = make([]int, rank)
		for i := range ax {
			ax[i] = i
		}
	} else {
		var err error
		if ax, err = normAxes(axes, rank, "Pad: axes"); err != nil {
			return nil, err
		}
	}
	if len(pads) != 2*len(ax) {
		return nil, fmt.Errorf("Pad: pads has %d entries, want %d (2 per padded axis of an input of shape %v)", len(pads), 2*len(ax), x.Shape)
	}
	begin := make([]int, rank)
	end := make([]int, rank)
	for i, a := range ax {
		begin[a] = int(pads[i])
		end[a] = int(pads[i+len(ax)])
	}
	want := make([]int64, rank)
	for a, d := range x.Shape {
		want[a] = int64(d) + int64(begin[a]) + int64(end[a])
		if want[a] < 0 {
			return nil, fmt.Errorf("Pad: pads %d and %d make axis %d of size %d negative", begin[a], end[a], a, d)
		}
	}
	shape, err := checkDims(want, "Pad: output")
	if err != nil {
		return nil, err
	}
	inSt := strides(x.Shape)
	tab := make([][]int, rank)
	for a := range shape {
		dim := x.Shape[a]
		o := shape[a]
		if dim == 0 && o > 0 && mode != "constant" {
			return nil, fmt.Errorf("Pad: mode %s cannot pad axis %d of size 0", mode, a)
		}
		t := make([]int, o)
		for i := range t {
			s := i - begin[a]
			switch mode {
			case "constant":
				if s < 0 || s >= dim {
					t[i] = -1
					continue
				}
			case "edge":
				if s < 0 {
					s = 0
				} else if s >= dim {
					s = dim - 1
				}
			case "reflect":
				if dim == 1 {
					s = 0
				} else {
					period := 2 * (dim - 1)
					s %= period
					if s < 0 {
						s += period
					}
					if s >= dim {
						s = period - s
					}
				}
			case "wrap":
				s %= dim
				if s < 0 {
					s += dim
				}
			}
			t[i] = s * inSt[a]
		}
		tab[a] = t
	}
	out, err := take(x, shape, tableIndex(shape, tab), fill)
	if err != nil {
		return nil, fmt.Errorf("Pad: %v", err)
	}
	return out, nil
}
