package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func TestEncodeHeader(t *testing.T) {
	// Headers as printed by numpy 1.24's numpy.save (see hack/npy-golden.py
	// for the byte-exact comparison of whole files).
	pad := func(dict string) string {
		return dict + strings.Repeat(" ", 128-10-1-len(dict)) + "\n"
	}
	tests := []struct {
		name  string
		descr string
		shape []int
		want  string
	}{
		{"scalar", "<f4", []int{}, pad("{'descr': '<f4', 'fortran_order': False, 'shape': (), }")},
		{"vector", "<i8", []int{3}, pad("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }")},
		{"image", "<f4", []int{1, 3, 224, 224}, pad("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }")},
		{"bool", "|b1", []int{2}, pad("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeHeader(tt.descr, tt.shape)
			want := "\x93NUMPY\x01\x00\x76\x00" + tt.want
			if string(got) != want {
				t.Errorf("encodeHeader(%q, %v) =\n%q\nwant\n%q", tt.descr, tt.shape, got, want)
			}
		})
	}
}

func TestEncodeHeaderAlignment(t *testing.T) {
	// Walk the dict length across several multiples of 64 so that the
	// padding takes every value from 1 to 64, including the case where the
	// unpadded header already ends on a boundary (numpy then adds 64).
	pads := map[int]bool{}
	shape := []int{}
	for range 40 {
		shape = append(shape, 7)
		for _, v := range [][2]int{{1, 7}, {12, 77}, {123456, 777}} {
			// The first dimension's digits are absorbed by numpy's growth
			// room; the last one's shift the padding.
			shape[0] = v[0]
			if len(shape) > 1 {
				shape[len(shape)-1] = v[1]
			}
			h := encodeHeader("<f4", shape)
			if len(h)%arrayAlign != 0 {
				t.Fatalf("shape %v: header of %d bytes is not a multiple of %d", shape, len(h), arrayAlign)
			}
			if h[len(h)-1] != '\n' {
				t.Fatalf("shape %v: header does not end with a newline", shape)
			}
			dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + formatShape(shape) + ", }"
			growth := growthAxisMaxDigits - len(strings.TrimSuffix(strings.SplitN(formatShape(shape)[1:], ",", 2)[0], ")"))
			body := h[10 : len(h)-1]
			if !strings.HasPrefix(string(body), dict) || strings.TrimRight(string(body[len(dict):]), " ") != "" {
				t.Fatalf("shape %v: header body %q is not the dict followed by spaces", shape, body)
			}
			pad := len(body) - len(dict) - growth
			if pad < 1 || pad > 64 {
				t.Fatalf("shape %v: %d bytes of padding, want 1..64", shape, pad)
			}
			pads[pad] = true
			if hl := int(binary.LittleEndian.Uint16(h[8:])); hl != len(h)-10 {
				t.Fatalf("shape %v: header length field %d, want %d", shape, hl, len(h)-10)
			}
		}
	}
	if len(pads) != 64 {
		t.Errorf("exercised %d distinct padding lengths, want all 64", len(pads))
	}
}

func TestEncodeVersion2ForHugeHeaders(t *testing.T) {
	shape := make([]int, 25000) // "1, " per axis: a 75 kB header
	for i := range shape {
		shape[i] = 1
	}
	want := tensor.MustFromSlice([]int16{-3}, shape...)
	b, err := EncodeBytes(want)
	if err != nil {
		t.Fatal(err)
	}
	if b[6] != 2 || b[7] != 0 {
		t.Fatalf("version %d.%d, want 2.0", b[6], b[7])
	}
	hl := int(binary.LittleEndian.Uint32(b[8:]))
	if (12+hl)%arrayAlign != 0 || 12+hl+2 != len(b) {
		t.Fatalf("header length %d: data at %d in a %d-byte file", hl, 12+hl, len(b))
	}
	got, err := DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTensors(want, got); d != "" {
		t.Error(d)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		t       *tensor.Tensor
		wantErr string
	}{
		{"nil", nil, "npy: invalid tensor: nil tensor"},
		{"string", tensor.MustFromSlice([]string{"a"}, 1), "npy: no .npy dtype for string tensors"},
		{"length mismatch", &tensor.Tensor{DType: tensor.Float32, Shape: []int{3}, Data: []float32{1}}, "npy: invalid tensor"},
		{"type mismatch", &tensor.Tensor{DType: tensor.Float32, Shape: []int{1}, Data: []int32{1}}, "npy: invalid tensor"},
		{"negative dim", &tensor.Tensor{DType: tensor.Float32, Shape: []int{-1}, Data: []float32{}}, "npy: invalid tensor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.t)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Encode error = %v, want one containing %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", buf.Len())
			}
			if b, err := EncodeBytes(tt.t); err == nil {
				t.Errorf("EncodeBytes = %q, want an error", b)
			}
		})
	}
}

type failWriter struct {
	after int
	err   error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, w.err
	}
	w.after--
	return len(p), nil
}

func TestEncodeWriteError(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1, 2}, 2)
	errBoom := errors.New("boom")
	for _, after := range []int{0, 1} {
		err := Encode(&failWriter{after: after, err: errBoom}, x)
		if !errors.Is(err, errBoom) {
			t.Errorf("Encode with a writer failing after %d writes = %v, want it to wrap %v", after, err, errBoom)
		}
	}
}
