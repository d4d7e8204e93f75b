package tensor

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestRawBytesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		t    *Tensor
		raw  []byte
	}{
		{"float32", MustFromSlice([]float32{1, -2}, 2), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}},
		{"int64", MustFromSlice([]int64{-1}, 1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"int8", MustFromSlice([]int8{-128, 127}, 2), []byte{0x80, 0x7f}},
		{"uint16", MustFromSlice([]uint16{0x1234}), []byte{0x34, 0x12}},
		{"bool", MustFromSlice([]bool{true, false, true}, 3), []byte{1, 0, 1}},
		{"float64 scalar", MustFromSlice([]float64{0.5}), []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f}},
		{"empty", MustFromSlice([]float32{}, 0, 3), []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := tc.t.RawBytes()
			if err != nil || !bytes.Equal(raw, tc.raw) {
				t.Fatalf("RawBytes = %x, %v; want %x", raw, err, tc.raw)
			}
			back, err := FromRawBytes(tc.t.DType, tc.t.Shape, raw)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := back.RawBytes(); !bytes.Equal(again, raw) || !SameShape(back.Shape, tc.t.Shape) {
				t.Errorf("round trip gave %x %v", again, back.Shape)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if _, err := FromSlice([]float32{1, 2}, 3); err == nil || !strings.Contains(err.Error(), "needs 3 elements") {
		t.Errorf("FromSlice length mismatch: %v", err)
	}
	if _, err := FromRawBytes(Float32, []int{2}, []byte{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "needs 8 bytes") {
		t.Errorf("FromRawBytes length mismatch: %v", err)
	}
	if _, err := FromRawBytes(Float32, []int{-1}, nil); err == nil {
		t.Error("FromRawBytes accepted a negative dimension")
	}
	if _, err := FromRawBytes(String, []int{1}, []byte{0}); err == nil {
		t.Error("FromRawBytes accepted strings")
	}
	bad := []*Tensor{
		nil,
		{DType: Float32, Shape: []int{2}, Data: []float64{1, 2}},
		{DType: Float32, Shape: []int{3}, Data: []float32{1, 2}},
		{DType: Int64, Shape: []int{1}, Data: "x"},
	}
	for i, b := range bad {
		if err := b.Check(); err == nil {
			t.Errorf("Check accepted bad tensor %d", i)
		}
	}
	if _, err := MustFromSlice([]float32{1, 2, 3, 4}, 4).Reshaped(3); err == nil {
		t.Error("Reshaped accepted a wrong element count")
	}
}

func TestDTypeNames(t *testing.T) {
	for d := range dtypeNames {
		if d == Undefined {
			continue
		}
		back, err := ParseDType(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDType(%q) = %v, %v", d.String(), back, err)
		}
	}
	if _, err := ParseDType("complex64"); err == nil {
		t.Error("ParseDType accepted complex64")
	}
}

// TestHalfRoundTrip checks that every finite float16 value survives the
// trip through float32 and back, and spot-checks rounding.
func TestHalfRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := HalfFromFloat64(float64(f)); back != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, f, back)
		}
	}
	tests := []struct {
		in   float64
		want uint16
	}{
		{1, 0x3c00}, {65504, 0x7bff}, {65520, 0x7c00}, {1 + 1.0/2048, 0x3c00}, {1 + 3.0/2048, 0x3c02}, {5.96e-8, 0x0001}, {math.Copysign(0, -1), 0x8000},
	}
	for _, tc := range tests {
		if got := HalfFromFloat64(tc.in); got != tc.want {
			t.Errorf("HalfFromFloat64(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	if got := BFloat16FromFloat32(1 + 1.0/256); got != 0x3f80 {
		t.Errorf("bfloat16 tie rounds to %#04x, want even 0x3f80", got)
	}
}
