package nn

import (
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func TestLayerNormalization(t *testing.T) {
	// Rows (1, 3) and (2, 2): means 2 and 2, variances 1 and 0.
	x := kt.F32([]int{2, 2}, 1, 3, 2, 2)
	scale := kt.F32([]int{2}, 2, 1)
	bias := kt.F32([]int{2}, 0, 10)
	eps := float32(1e-5)
	out := kt.Run(t, buildLayerNormalization, kt.Node("LayerNormalization", 3, 3, kt.Float("epsilon", eps)), 17, x, scale, bias)
	is := 1 / math.Sqrt(1+float64(eps))
	kt.Close(t, "Y", out[0], []int{2, 2}, []float64{-2 * is, 10 + is, 0, 10}, 1e-6)
	kt.Close(t, "Mean", out[1], []int{2, 1}, []float64{2, 2}, 1e-6)
	kt.Close(t, "InvStdDev", out[2], []int{2, 1}, []float64{is, 1 / math.Sqrt(float64(eps))}, 1e-2)
	// axis 0 normalizes over everything.
	out = kt.Run(t, buildLayerNormalization, kt.Node("LayerNormalization", 2, 1, kt.Int("axis", 0)), 17, x, kt.F32([]int{1}, 1))
	kt.Close(t, "axis 0", out[0], []int{2, 2}, []float64{-1 / math.Sqrt(0.5+1e-5), 1 / math.Sqrt(0.5+1e-5), 0, 0}, 1e-5)
}

func TestGroupAndInstanceNormalization(t *testing.T) {
	x := kt.F32([]int{1, 2, 2}, 0, 2, 4, 8)
	one := kt.F32([]int{2}, 1, 1)
	zero := kt.F32([]int{2}, 0, 0)
	out := kt.Run(t, buildInstanceNormalization, kt.Node("InstanceNormalization", 3, 1, kt.Float("epsilon", 0)), 6, x, one, zero)
	kt.Close(t, "instance", out[0], []int{1, 2, 2}, []float64{-1, 1, -1, 1}, 1e-6)
	// One group of all four values: mean 3.5, variance 8.75.
	sd := math.Sqrt(8.75)
	out = kt.Run(t, buildGroupNormalization, kt.Node("GroupNormalization", 3, 1, kt.Int("num_groups", 1), kt.Float("epsilon", 0)), 18,
		x, kt.F32([]int{1}, 1), kt.F32([]int{1}, 0))
	kt.Close(t, "group", out[0], []int{1, 2, 2}, []float64{-3.5 / sd, -1.5 / sd, 0.5 / sd, 4.5 / sd}, 1e-6)
}

func TestResize(t *testing.T) {
	x := kt.F32([]int{1, 1, 1, 2}, 1, 3)
	scales := kt.F32([]int{4}, 1, 1, 1, 2)
	tests := []struct {
		name  string
		attrs []onnx.Attribute
		want  []float64
	}{
		{"nearest asymmetric", []onnx.Attribute{kt.String("coordinate_transformation_mode", "asymmetric")}, []float64{1, 1, 3, 3}},
		// half_pixel: x = (o+0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (edges clamp).
		{"linear half_pixel", []onnx.Attribute{kt.String("mode", "linear")}, []float64{1, 1.5, 2.5, 3}},
		{"linear align_corners", []onnx.Attribute{kt.String("mode", "linear"), kt.String("coordinate_transformation_mode", "align_corners")},
			[]float64{1, 1 + 2.0/3, 1 + 4.0/3, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := kt.Run(t, buildResize, kt.Node("Resize", 3, 1, tc.attrs...), 13, x, nil, scales)
			kt.Close(t, "Y", out[0], []int{1, 1, 1, 4}, tc.want, 1e-6)
		})
	}
	// sizes instead of scales, and Upsample-7 with its attribute.
	out := kt.Run(t, buildResize, kt.Node("Resize", 4, 1), 13, x, nil, nil, kt.I64([]int{4}, 1, 1, 2, 4))
	kt.Close(t, "sizes", out[0], []int{1, 1, 2, 4}, []float64{1, 1, 3, 3, 1, 1, 3, 3}, 0)
	out = kt.Run(t, buildUpsample, kt.Node("Upsample", 1, 1, kt.Floats("scales", 1, 1, 1, 3)), 7, x)
	kt.Close(t, "upsample", out[0], []int{1, 1, 1, 6}, []float64{1, 1, 1, 3, 3, 3}, 0)
}

func TestQuantization(t *testing.T) {
	x := kt.F32([]int{4}, -1, 0, 1.25, 300)
	out := kt.Run(t, buildQuantizeLinear, kt.Node("QuantizeLinear", 3, 1), 13, x, kt.F32(nil, 0.5), tensor.MustFromSlice([]uint8{10}))
	// -1/0.5 = -2 → 8; 1.25/0.5 = 2.5 rounds to even 2 → 12; 600 saturates.
	kt.Close(t, "q", out[0], []int{4}, []float64{8, 10, 12, 255}, 0)
	deq := kt.Run(t, buildDequantizeLinear, kt.Node("DequantizeLinear", 3, 1), 13, out[0], kt.F32(nil, 0.5), tensor.MustFromSlice([]uint8{10}))
	kt.Close(t, "dq", deq[0], []int{4}, []float64{-1, 0, 1, 122.5}, 0)

	dyn := kt.Run(t, buildDynamicQuantizeLinear, kt.Node("DynamicQuantizeLinear", 1, 3), 11, kt.F32([]int{3}, 0, 2.55, -2.55))
	kt.Close(t, "scale", dyn[1], nil, []float64{0.02}, 1e-7)
	kt.Close(t, "zero point", dyn[2], nil, []float64{128}, 0)
	kt.Close(t, "y", dyn[0], []int{3}, []float64{128, 255, 0}, 0)

	a := tensor.MustFromSlice([]uint8{1, 2, 3, 4}, 2, 2)
	b := tensor.MustFromSlice([]int8{1, -1, 2, 0}, 2, 2)
	mm := kt.Run(t, buildMatMulInteger, kt.Node("MatMulInteger", 4, 1), 10, a, b, tensor.MustFromSlice([]uint8{1}), nil)
	// (a-1) = [[0 1] [2 3]]; times b = [[2 0] [8 -2]].
	kt.Close(t, "matmulinteger", mm[0], []int{2, 2}, []float64{2, 0, 8, -2}, 0)

	// A 1x1 ConvInteger is the same product per pixel.
	cx := tensor.MustFromSlice([]uint8{3, 5}, 1, 1, 1, 2)
	cw := tensor.MustFromSlice([]uint8{2}, 1, 1, 1, 1)
	cv := kt.Run(t, buildConvInteger, kt.Node("ConvInteger", 3, 1), 10, cx, cw, tensor.MustFromSlice([]uint8{1}))
	kt.Close(t, "convinteger", cv[0], []int{1, 1, 1, 2}, []float64{4, 8}, 0)
}

func TestQLinearMatMul(t *testing.T) {
	a := tensor.MustFromSlice([]uint8{2, 4}, 1, 2)
	b := tensor.MustFromSlice([]uint8{3, 5}, 2, 1)
	u8 := func(v uint8) *tensor.Tensor { return tensor.MustFromSlice([]uint8{v}) }
	// ((2-0)(3-1) + (4-0)(5-1)) · 0.5·0.25/0.5 = 20·0.25 = 5, + zero point 100.
	out := kt.Run(t, buildQLinearMatMul, kt.Node("QLinearMatMul", 8, 1), 10,
		a, kt.F32(nil, 0.5), u8(0), b, kt.F32(nil, 0.25), u8(1), kt.F32(nil, 0.5), u8(100))
	kt.Close(t, "y", out[0], []int{1, 1}, []float64{105}, 0)
}

// TestHalfCompute runs Conv, Gemm and MatMul on float16 tensors (and a
// float16 constant weight) and checks each result against the float32
// kernel's output rounded to float16.
func TestHalfCompute(t *testing.T) {
	half := func(t32 *tensor.Tensor) *tensor.Tensor {
		out := tensor.New(tensor.Float16, t32.Shape...)
		for i, v := range t32.Float32s() {
			out.Data.([]uint16)[i] = tensor.HalfFromFloat64(float64(v))
		}
		return out
	}
	// Small integers and halves are exact in float16.
	vals := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i%7-3) / 2
		}
		return x
	}
	tests := []struct {
		op    string
		b     func(*onnx.Node, int64, []*tensor.Tensor) (kernel.Kernel, error)
		attrs []onnx.Attribute
		in    []*tensor.Tensor
	}{
		{"Conv", buildConv, []onnx.Attribute{kt.Ints("pads", 1, 1, 1, 1)}, []*tensor.Tensor{vals(1, 2, 4, 4), vals(3, 2, 3, 3)}},
		{"Gemm", buildGemm, []onnx.Attribute{kt.Int("transB", 1)}, []*tensor.Tensor{vals(3, 5), vals(4, 5), vals(4)}},
		{"MatMul", buildMatMul, nil, []*tensor.Tensor{vals(2, 3, 5), vals(5, 4)}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			n := kt.Node(tc.op, len(tc.in), 1, tc.attrs...)
			want := kt.Run(t, tc.b, n, 13, tc.in...)[0]
			hin := make([]*tensor.Tensor, len(tc.in))
			for i, x := range tc.in {
				hin[i] = half(x)
			}
			// The weight as a compile-time constant, as in an fp16 model.
			consts := make([]*tensor.Tensor, len(hin))
			consts[1] = hin[1]
			k, err := withHalf(tc.b)(n, 13, consts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.Run(hin)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].DType != tensor.Float16 {
				t.Fatalf("output type %s, want float16", got[0].DType)
			}
			wantBits := half(want).Data.([]uint16)
			for i, b := range got[0].Data.([]uint16) {
				if b != wantBits[i] {
					t.Fatalf("element %d: %v, want %v", i, tensor.HalfToFloat32(b), tensor.HalfToFloat32(wantBits[i]))
				}
			}
		})
	}
}

// TestResizeIdentityAndEmpty covers the separable path's shortcuts: scale
// 1 copies the input (without sharing its storage) and an empty input
// gives an empty output.
func TestResizeIdentityAndEmpty(t *testing.T) {
	x := kt.F32([]int{1, 2}, 1, 2)
	out := kt.Run(t, buildResize, kt.Node("Resize", 3, 1, kt.String("mode", "linear")), 13, x, nil, kt.F32([]int{2}, 1, 1))
	kt.Close(t, "identity", out[0], []int{1, 2}, []float64{1, 2}, 0)
	empty := tensor.New(tensor.Float32, 0, 2)
	out = kt.Run(t, buildResize, kt.Node("Resize", 3, 1), 13, empty, nil, kt.F32([]int{2}, 1, 2))
	kt.Close(t, "empty", out[0], []int{0, 4}, nil, 0)
}
