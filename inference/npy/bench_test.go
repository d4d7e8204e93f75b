package npy

import (
	"bytes"
	"io"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func imageTensor() *tensor.Tensor {
	x := tensor.New(tensor.Float32, 1, 3, 224, 224)
	for i, d := 0, x.Float32s(); i < len(d); i++ {
		d[i] = float32(i%255) / 255
	}
	return x
}

func BenchmarkDecodeBytesImage(b *testing.B) {
	file, err := EncodeBytes(imageTensor())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBytes(file); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadImage(b *testing.B) {
	file, err := EncodeBytes(imageTensor())
	if err != nil {
		b.Fatal(err)
	}
	r := bytes.NewReader(file)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(file)
		if _, err := Read(r, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeImage(b *testing.B) {
	x := imageTensor()
	b.SetBytes(x.ByteSize())
	b.ReportAllocs()
	for b.Loop() {
		if err := Encode(io.Discard, x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBytesImage(b *testing.B) {
	x := imageTensor()
	b.SetBytes(x.ByteSize())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeBytes(x); err != nil {
			b.Fatal(err)
		}
	}
}
