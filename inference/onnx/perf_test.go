package onnx

import (
	"runtime"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// largeModel has n float32 initializers of 1M elements (4 MB) each.
func largeModel(n int) *Model {
	g := &Graph{Name: "large"}
	for i := 0; i < n; i++ {
		w := tensor.New(tensor.Float32, 1000, 1000)
		w.Float32s()[i] = float32(i)
		g.Initializers = append(g.Initializers, &Initializer{Name: "w", Tensor: w})
	}
	return &Model{IRVersion: 8, Graph: g}
}

// TestDecodeCopiesOnce checks that decoding raw_data allocates little more
// than the tensors themselves: one copy into the typed slice, no per-tensor
// or per-element intermediates. Likewise encoding allocates the output
// buffer once.
func TestDecodeCopiesOnce(t *testing.T) {
	m := largeModel(8) // 32 MB of weights
	payload := uint64(8 * 4e6)
	data, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
	}{
		{"Decode", func() error { _, err := Decode(data); return err }},
		{"Encode", func() error { _, err := Encode(m); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > payload+payload/20 {
				t.Errorf("allocated %d bytes for %d bytes of weights", got, payload)
			}
		})
	}
}

func BenchmarkDecodeLarge(b *testing.B) {
	data, err := Encode(largeModel(16))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeLarge(b *testing.B) {
	m := largeModel(16)
	b.SetBytes(16 * 4e6)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
