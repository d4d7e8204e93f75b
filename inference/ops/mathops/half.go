package mathops

import (
	"math"

	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// halfToFloat32 converts IEEE 754 binary16 bits to float32 (exactly).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0:
		// Zero or subnormal: man * 2^-24, exact in float32.
		v := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// float32ToHalf rounds f to the nearest binary16 (ties to even).
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00 | uint16(man>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half: the value in units of 2^-24 is m24 >> shift.
		shift := uint(14 - e)
		if shift > 24 {
			return sign
		}
		m24 := man | 0x800000
		q := m24 >> shift
		rem := m24 & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rem > halfway || (rem == halfway && q&1 == 1) {
			q++
		}
		return sign | uint16(q)
	}
	h := uint16(e)<<10 | uint16(man>>13)
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is the correct rounding (up to Inf)
	}
	return sign | h
}

func halfTensorToFloat32(t *tensor.Tensor) *tensor.Tensor {
	src := t.Data.([]uint16)
	out := tensor.New(tensor.Float32, t.Shape...)
	dst := out.Data.([]float32)
	for i := range dst {
		dst[i] = halfToFloat32(src[i])
	}
	return out
}

func float32TensorToHalf(t *tensor.Tensor) *tensor.Tensor {
	src := t.Data.([]float32)
	out := tensor.New(tensor.Float16, t.Shape...)
	dst := out.Data.([]uint16)
	for i := range dst {
		dst[i] = float32ToHalf(src[i])
	}
	return out
}

// withHalf lets a float32 kernel serve float16 tensors: float16 inputs are
// widened to float32 and, when the first input was float16, float32 outputs
// are rounded back to float16 (as numpy does for half arithmetic).
func withHalf(f kernel.Func) kernel.Func {
	return func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		half := false
		for _, in := range inputs {
			if in != nil && in.DType == tensor.Float16 {
				half = true
				break
			}
		}
		if !half {
			return f(inputs)
		}
		conv := make([]*tensor.Tensor, len(inputs))
		for i, in := range inputs {
			conv[i] = in
			if in != nil && in.DType == tensor.Float16 {
				if err := in.Check(); err != nil {
					return nil, errorf("input %d: %v", i, err)
				}
				conv[i] = halfTensorToFloat32(in)
			}
		}
		outs, err := f(conv)
		if err != nil {
			return nil, err
		}
		if inputs[0] != nil && inputs[0].DType == tensor.Float16 {
			for i, o := range outs {
				if o != nil && o.DType == tensor.Float32 {
					outs[i] = float32TensorToHalf(o)
				}
			}
		}
		return outs, nil
	}
}
