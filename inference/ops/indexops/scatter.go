package indexops

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// readReduction reads the reduction attribute of ScatterElements and
// ScatterND (opset 16 and later; "none" before).
func readReduction(n *onnx.Node) (string, error) {
	r, err := n.AttrString("reduction", "none")
	if err != nil {
		return "", err
	}
	switch r {
	case "none", "add", "mul", "max", "min":
		return r, nil
	}
	return "", fmt.Errorf("reduction = %q, want none, add, mul, max or min", r)
}

func buildScatterElements(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	red, err := readReduction(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, err
		}
		data, indices, updates := in[0], in[1], in[2]
		if !tensor.SameShape(indices.Shape, updates.Shape) || indices.Rank() != data.Rank() {
			return nil, fmt.Errorf("indices %v and updates %v must have one shape of data's rank %d", indices.Shape, updates.Shape, data.Rank())
		}
		ax, err := kernel.NormalizeAxis(axis, data.Rank())
		if err != nil {
			return nil, err
		}
		ids, err := kernel.Ints(indices)
		if err != nil {
			return nil, fmt.Errorf("indices: %w", err)
		}
		dst := kernel.Strides(data.Shape)
		ist := kernel.Strides(indices.Shape)
		dim := int64(data.Shape[ax])
		pos := make([]int, len(ids))
		for i, v := range ids {
			if v < 0 {
				v += dim
			}
			if v < 0 || v >= dim {
				return nil, fmt.Errorf("index %d out of range for axis of size %d", ids[i], dim)
			}
			off := 0
			for a := range ist {
				c := i / ist[a] % indices.Shape[a]
				if a == ax {
					c = int(v)
				} else if c >= data.Shape[a] {
					return nil, fmt.Errorf("indices shape %v exceeds data shape %v", indices.Shape, data.Shape)
				}
				off += c * dst[a]
			}
			pos[i] = off
		}
		out := data.Clone()
		if err := scatter(out, updates, pos, red); err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

func buildScatterND(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	red, err := readReduction(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 3); err != nil {
			return nil, err
		}
		data, indices, updates := in[0], in[1], in[2]
		if indices.Rank() < 1 {
			return nil, fmt.Errorf("indices has shape %v, want rank >= 1", indices.Shape)
		}
		k := indices.Shape[indices.Rank()-1]
		if k > data.Rank() {
			return nil, fmt.Errorf("index tuples of length %d for data of rank %d", k, data.Rank())
		}
		want := append(append([]int{}, indices.Shape[:indices.Rank()-1]...), data.Shape[k:]...)
		if !tensor.SameShape(updates.Shape, want) {
			return nil, fmt.Errorf("updates has shape %v, want %v", updates.Shape, want)
		}
		ids, err := kernel.Ints(indices)
		if err != nil {
			return nil, fmt.Errorf("indices: %w", err)
		}
		st := kernel.Strides(data.Shape)
		slice := tensor.NumElements(data.Shape[k:])
		tuples := tensor.NumElements(indices.Shape[:indices.Rank()-1])
		pos := make([]int, 0, tuples*slice)
		for t := 0; t < tuples; t++ {
			base := 0
			for a := 0; a < k; a++ {
				v := ids[t*k+a]
				if v < 0 {
					v += int64(data.Shape[a])
				}
				if v < 0 || v >= int64(data.Shape[a]) {
					return nil, fmt.Errorf("index %d out of range for axis %d of size %d", ids[t*k+a], a, data.Shape[a])
				}
				base += int(v) * st[a]
			}
			for j := 0; j < slice; j++ {
				pos = append(pos, base+j)
			}
		}
		out := data.Clone()
		if err := scatter(out, updates, pos, red); err != nil {
			return nil, err
		}
		return one(out), nil
	}), nil
}

// scatter combines updates' element i into dst's element pos[i], in order.
func scatter(dst, updates *tensor.Tensor, pos []int, red string) error {
	if red == "none" {
		return kernel.Put(dst, updates, pos)
	}
	if dst.DType != updates.DType {
		return fmt.Errorf("updates have type %s, data has %s", updates.DType, dst.DType)
	}
	switch d := dst.Data.(type) {
	case []float32:
		reduceInto(d, updates.Data.([]float32), pos, red)
	case []float64:
		reduceInto(d, updates.Data.([]float64), pos, red)
	case []int8:
		reduceInto(d, updates.Data.([]int8), pos, red)
	case []int16:
		reduceInto(d, updates.Data.([]int16), pos, red)
	case []int32:
		reduceInto(d, updates.Data.([]int32), pos, red)
	case []int64:
		reduceInto(d, updates.Data.([]int64), pos, red)
	case []uint8:
		reduceInto(d, updates.Data.([]uint8), pos, red)
	case []uint32:
		reduceInto(d, updates.Data.([]uint32), pos, red)
	case []uint64:
		reduceInto(d, updates.Data.([]uint64), pos, red)
	case []uint16:
		if dst.DType != tensor.Uint16 {
			v, err := kernel.Floats(dst)
			if err != nil {
				return err
			}
			u, err := kernel.Floats(updates)
			if err != nil {
				return err
			}
			reduceInto(v, u, pos, red)
			t, err := kernel.FromFloats(dst.DType, dst.Shape, v)
			if err != nil {
				return err
			}
			copy(d, t.Data.([]uint16))
			return nil
		}
		reduceInto(d, updates.Data.([]uint16), pos, red)
	default:
		return fmt.Errorf("reduction %s on type %s is not supported", red, dst.DType)
	}
	return nil
}

func reduceInto[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64](dst, src []T, pos []int, red string) {
	for i, p := range pos {
		switch red {
		case "add":
			dst[p] += src[i]
		case "mul":
			dst[p] *= src[i]
		case "max":
			dst[p] = max(dst[p], src[i])
		case "min":
			dst[p] = min(dst[p], src[i])
		}
	}
}
