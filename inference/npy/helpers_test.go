package npy

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/papdl/papdl/inference/tensor"
)

// diffTensors returns a description of the first difference between want
// and got, or "" if they are equal. NaNs are equal to NaNs; +0 and -0 are
// different.
func diffTensors(want, got *tensor.Tensor) string {
	if got == nil {
		return "got nil tensor"
	}
	if err := got.Check(); err != nil {
		return fmt.Sprintf("got an inconsistent tensor: %v", err)
	}
	if want.DType != got.DType {
		return fmt.Sprintf("dtype %s, want %s", got.DType, want.DType)
	}
	if !slices.Equal(want.Shape, got.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.Shape == nil {
		return "shape is nil, want a non-nil slice"
	}
	switch w := want.Data.(type) {
	case []float32:
		g := got.Data.([]float32)
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(g[i]) && !(w[i] != w[i] && g[i] != g[i]) {
				return fmt.Sprintf("element %d is %v, want %v", i, g[i], w[i])
			}
		}
		return ""
	case []float64:
		g := got.Data.([]float64)
		for i := range w {
			if math.Float64bits(w[i]) != math.Float64bits(g[i]) && !(math.IsNaN(w[i]) && math.IsNaN(g[i])) {
				return fmt.Sprintf("element %d is %v, want %v", i, g[i], w[i])
			}
		}
		return ""
	}
	wb, err := want.RawBytes()
	if err != nil {
		return err.Error()
	}
	gb, err := got.RawBytes()
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(wb, gb) {
		return fmt.Sprintf("data %v, want %v", got.Data, want.Data)
	}
	return ""
}

// npyFile assembles a .npy file from a version, a header dict text (padded
// by the caller or not) and a payload.
func npyFile(major byte, dict string, payload []byte) []byte {
	b := []byte(magic)
	b = append(b, major, 0)
	if major == 1 {
		b = append(b, byte(len(dict)), byte(len(dict)>>8))
	} else {
		b = append(b, byte(len(dict)), byte(len(dict)>>8), byte(len(dict)>>16), byte(len(dict)>>24))
	}
	b = append(b, dict...)
	return append(b, payload...)
}
