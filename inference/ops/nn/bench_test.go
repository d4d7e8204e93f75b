package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func benchOp(b *testing.B, op string, attrs []onnx.Attribute, inputs []*tensor.Tensor, consts []*tensor.Tensor, flops float64) {
	builders := map[string]kernel.Builder{}
	Register(func(name string, bl kernel.Builder) { builders[name] = bl })
	k, err := builders[op](&onnx.Node{OpType: op, Attrs: attrs, Outputs: []string{"y"}}, 13, consts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := k.Run(inputs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := k.Run(inputs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkConv3x3_64x56 is a ResNet-style 3×3 convolution, 64 -> 64
// channels on 56×56 with pads 1 and constant weights.
func BenchmarkConv3x3_64x56(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w, bias := randTensor(r, 1, 64, 56, 56), randTensor(r, 64, 64, 3, 3), randTensor(r, 64)
	attrs := []onnx.Attribute{intsAttr("pads", 1, 1, 1, 1), intsAttr("kernel_shape", 3, 3)}
	benchOp(b, "Conv", attrs, []*tensor.Tensor{x, w, bias}, []*tensor.Tensor{nil, w, bias}, 2*64*64*9*56*56)
}

// BenchmarkConv1x1_256x56 is a pointwise convolution 64 -> 256 on 56×56.
func BenchmarkConv1x1_256x56(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w := randTensor(r, 1, 64, 56, 56), randTensor(r, 256, 64, 1, 1)
	benchOp(b, "Conv", nil, []*tensor.Tensor{x, w}, []*tensor.Tensor{nil, w}, 2*64*256*56*56)
}

// BenchmarkConvDepthwise3x3_128x56 is a depthwise 3×3 convolution.
func BenchmarkConvDepthwise3x3_128x56(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w := randTensor(r, 1, 128, 56, 56), randTensor(r, 128, 1, 3, 3)
	attrs := []onnx.Attribute{intsAttr("pads", 1, 1, 1, 1), intAttr("group", 128)}
	benchOp(b, "Conv", attrs, []*tensor.Tensor{x, w}, []*tensor.Tensor{nil, w}, 2*128*9*56*56)
}

// BenchmarkGemmFC4096 is a batch-1 fully connected layer 4096 -> 4096
// (Gemm with transB=1 and constant weights, as exported by PyTorch).
func BenchmarkGemmFC4096(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w, c := randTensor(r, 1, 4096), randTensor(r, 4096, 4096), randTensor(r, 4096)
	attrs := []onnx.Attribute{intAttr("transB", 1)}
	benchOp(b, "Gemm", attrs, []*tensor.Tensor{x, w, c}, []*tensor.Tensor{nil, w, c}, 2*4096*4096)
}

// BenchmarkMatMul512 is a square 512×512×512 product of runtime inputs.
func BenchmarkMatMul512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randTensor(r, 512, 512), randTensor(r, 512, 512)
	benchOp(b, "MatMul", nil, []*tensor.Tensor{x, y}, nil, 2*512*512*512)
}

// BenchmarkSgemmPacked is the bare kernel on the Conv3x3_64x56 shape
// (64×3136×576) with both operands already packed.
func BenchmarkSgemmPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	m, n, k := 64, 3136, 576
	pa := make([]float32, packedSizeA(m, k))
	packA(pa, m, k, randSlice(r, m*k), k, false, 1)
	pb := make([]float32, packedSizeB(k, n))
	packB(pb, k, n, randSlice(r, k*n), n, false)
	c := make([]float32, m*n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sgemmPacked(m, n, k, pa, pb, c, n, false, true)
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
