package mathops

import (
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func BenchmarkAdd(b *testing.B) {
	cases := []struct {
		name   string
		as, bs []int
	}{
		{"same_64x56x56", sh(1, 64, 56, 56), sh(1, 64, 56, 56)},
		{"channel_64x56x56", sh(1, 64, 56, 56), sh(64, 1, 1)},
		{"scalar_64x56x56", sh(1, 64, 56, 56), sh()},
		{"lastaxis_3136x64", sh(3136, 64), sh(64)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			k, err := builders(b)["Add"](&onnx.Node{OpType: "Add"}, 14, nil)
			if err != nil {
				b.Fatal(err)
			}
			in := []*tensor.Tensor{tensor.New(tensor.Float32, c.as...), tensor.New(tensor.Float32, c.bs...)}
			b.SetBytes(int64(4 * tensor.NumElements(c.as)))
			for b.Loop() {
				if _, err := k.Run(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSoftmax compares a float32 softmax over rows of 64 (attention
// scores) computed with float64 math.Exp (generic, as before) and with
// vmath.Exp (vmath).
func BenchmarkSoftmax(b *testing.B) {
	const rows, n = 256, 64
	src := make([]float32, rows*n)
	for i := range src {
		src[i] = float32(i%29) * 0.37
	}
	dst := make([]float32, len(src))
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			softmaxBlocks(dst, src, 0, rows, n, 1, false)
		}
	})
	b.Run("vmath", func(b *testing.B) {
		for b.Loop() {
			softmaxBlocks32(dst, src, 0, rows, n, 1)
		}
	})
}
