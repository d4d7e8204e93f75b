package nn

import (
	"testing"

	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

// BenchmarkResizeBilinear upsamples a segmentation head's logits
// (1x21x64x64) by 8 with linear interpolation.
func BenchmarkResizeBilinear(b *testing.B) {
	x := tensor.New(tensor.Float32, 1, 21, 64, 64)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(i % 17)
	}
	k, err := buildResize(kt.Node("Resize", 3, 1, kt.String("mode", "linear")), 13, nil)
	if err != nil {
		b.Fatal(err)
	}
	in := []*tensor.Tensor{x, nil, kt.F32([]int{4}, 1, 1, 8, 8)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := k.Run(in); err != nil {
			b.Fatal(err)
		}
	}
}
