package npy

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func roundTripTypes() []tensor.DType {
	return []tensor.DType{
		tensor.Float16, tensor.Float32, tensor.Float64,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
		tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
		tensor.Bool,
	}
}

// randomTensor fills a tensor with random bit patterns, so floats include
// NaNs, infinities, subnormals and negative zero.
func randomTensor(rng *rand.Rand, dt tensor.DType, shape []int) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = math.Float32frombits(rng.Uint32())
		}
	case []float64:
		for i := range d {
			d[i] = math.Float64frombits(rng.Uint64())
		}
	case []int8:
		for i := range d {
			d[i] = int8(rng.Uint32())
		}
	case []int16:
		for i := range d {
			d[i] = int16(rng.Uint32())
		}
	case []int32:
		for i := range d {
			d[i] = int32(rng.Uint32())
		}
	case []int64:
		for i := range d {
			d[i] = int64(rng.Uint64())
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(rng.Uint32())
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(rng.Uint32())
		}
	case []uint32:
		for i := range d {
			d[i] = rng.Uint32()
		}
	case []uint64:
		for i := range d {
			d[i] = rng.Uint64()
		}
	case []bool:
		for i := range d {
			d[i] = rng.IntN(2) == 1
		}
	}
	return t
}

func randomShape(rng *rand.Rand) []int {
	shape := make([]int, rng.IntN(5))
	for i := range shape {
		shape[i] = rng.IntN(5)
		if rng.IntN(8) != 0 && shape[i] == 0 {
			shape[i] = 1 // mostly non-empty
		}
	}
	return shape
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dt := range roundTripTypes() {
		t.Run(dt.String(), func(t *testing.T) {
			for range 50 {
				want := randomTensor(rng, dt, randomShape(rng))
				b, err := EncodeBytes(want)
				if err != nil {
					t.Fatalf("EncodeBytes(%v): %v", want.Shape, err)
				}
				if len(b)%arrayAlign != int(want.ByteSize())%arrayAlign {
					t.Fatalf("shape %v: payload does not start on a %d-byte boundary", want.Shape, arrayAlign)
				}
				got, err := DecodeBytes(b)
				if err != nil {
					t.Fatalf("DecodeBytes of shape %v: %v", want.Shape, err)
				}
				if d := diffTensors(want, got); d != "" {
					t.Fatalf("DecodeBytes of shape %v: %s", want.Shape, d)
				}
				var buf bytes.Buffer
				if err := Encode(&buf, want); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), b) {
					t.Fatalf("Encode and EncodeBytes differ for shape %v", want.Shape)
				}
				got, err = Read(&buf, int64(len(b)))
				if err != nil {
					t.Fatalf("Read of shape %v: %v", want.Shape, err)
				}
				if d := diffTensors(want, got); d != "" {
					t.Fatalf("Read of shape %v: %s", want.Shape, d)
				}
			}
		})
	}
}

// TestRoundTripForeignLayouts rewrites encoded files as big-endian and/or
// Fortran-ordered ones, as numpy would write them, and checks that they
// decode to the same tensor.
func TestRoundTripForeignLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range roundTripTypes() {
		for _, layout := range []struct {
			name         string
			big, fortran bool
		}{{"big-endian", true, false}, {"fortran", false, true}, {"big-endian fortran", true, true}} {
			t.Run(dt.String()+" "+layout.name, func(t *testing.T) {
				for range 20 {
					want := randomTensor(rng, dt, randomShape(rng))
					raw, err := want.RawBytes()
					if err != nil {
						t.Fatal(err)
					}
					size := dt.Size()
					payload := bytes.Clone(raw)
					if layout.fortran {
						payload = cToFortran(payload, want.Shape, size)
					}
					descr, _ := descrFor(dt)
					if layout.big {
						swapBytes(payload, size)
						if size > 1 {
							descr = ">" + descr[1:]
						}
					}
					order := "False"
					if layout.fortran {
						order = "True"
					}
					file := npyFile(1, "{'descr': '"+descr+"', 'fortran_order': "+order+", 'shape': "+formatShape(want.Shape)+"}", payload)
					got, err := DecodeBytes(file)
					if err != nil {
						t.Fatalf("DecodeBytes: %v", err)
					}
					if d := diffTensors(want, got); d != "" {
						t.Fatalf("shape %v: %s", want.Shape, d)
					}
				}
			})
		}
	}
}

// cToFortran is the reference inverse of fortranToC, written the obvious
// way: compute each element's Fortran offset from its C multi-index.
func cToFortran(src []byte, shape []int, size int) []byte {
	dst := make([]byte, len(src))
	n := tensor.NumElements(shape)
	for c := range n {
		rem, f, stride := c, 0, 1
		// Peel C indices from the last axis; the Fortran stride of axis k is
		// the product of the dimensions before it.
		idx := make([]int, len(shape))
		for k := len(shape) - 1; k >= 0; k-- {
			idx[k] = rem % shape[k]
			rem /= shape[k]
		}
		for k := range shape {
			f += idx[k] * stride
			stride *= shape[k]
		}
		copy(dst[f*size:(f+1)*size], src[c*size:(c+1)*size])
	}
	return dst
}
