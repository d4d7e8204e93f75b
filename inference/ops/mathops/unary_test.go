package mathops

import (
	"math"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func TestUnaryHandCases(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	x := f32(sh(5), -2, -0.5, 0, 0.5, 2)
	cases := []struct {
		op    string
		attrs []onnx.Attribute
		in    *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"Relu", nil, x, f32(sh(5), 0, 0, 0, 0.5, 2)},
		{"Relu", nil, i32(sh(3), -4, 0, 4), i32(sh(3), 0, 0, 4)},
		{"Abs", nil, x, f32(sh(5), 2, 0.5, 0, 0.5, 2)},
		{"Abs", nil, tensor.MustFromSlice([]int8{-128, -3, 5}, 3), tensor.MustFromSlice([]int8{-128, 3, 5}, 3)},
		{"Neg", nil, i64(sh(2), 3, -4), i64(sh(2), -3, 4)},
		{"Sign", nil, f32(sh(4), -3, 0, 2, nan), f32(sh(4), -1, 0, 1, nan)},
		{"Sign", nil, tensor.MustFromSlice([]uint8{0, 9}, 2), tensor.MustFromSlice([]uint8{0, 1}, 2)},
		{"LeakyRelu", nil, x, f32(sh(5), -0.02, -0.005, 0, 0.5, 2)},
		{"LeakyRelu", []onnx.Attribute{fattr("alpha", 0.5)}, x, f32(sh(5), -1, -0.25, 0, 0.5, 2)},
		{"Sqrt", nil, f32(sh(3), 4, 2, -1), f32(sh(3), 2, float32(math.Sqrt2), nan)},
		{"Exp", nil, f64(sh(2), 0, 1), f64(sh(2), 1, math.E)},
		{"Log", nil, f32(sh(3), 1, 0, -1), f32(sh(3), 0, -inf, nan)},
		{"Reciprocal", nil, f32(sh(3), 2, -4, 0), f32(sh(3), 0.5, -0.25, inf)},
		{"Floor", nil, f32(sh(3), -1.5, 1.5, 2), f32(sh(3), -2, 1, 2)},
		{"Ceil", nil, f32(sh(3), -1.5, 1.5, 2), f32(sh(3), -1, 2, 2)},
		{"Round", nil, f32(sh(4), 0.5, 1.5, 2.5, -0.5), f32(sh(4), 0, 2, 2, -0)},
		{"Sigmoid", nil, f32(sh(3), 0, 1000, -1000), f32(sh(3), 0.5, 1, 0)},
		{"Sigmoid", nil, f64(sh(1), 1), f64(sh(1), 1/(1+math.Exp(-1)))},
		{"HardSigmoid", nil, x, f32(sh(5), 0.1, 0.4, 0.5, 0.6, 0.9)},
		{"HardSigmoid", []onnx.Attribute{fattr("alpha", 1), fattr("beta", 0.25)}, x, f32(sh(5), 0, 0, 0.25, 0.75, 1)},
		{"HardSwish", nil, f32(sh(4), -4, -1, 1, 4), f32(sh(4), 0, -1.0/3, 2.0/3, 4)},
		{"Tanh", nil, f32(sh(3), 0, 50, -50), f32(sh(3), 0, 1, -1)},
		{"Erf", nil, f32(sh(3), 0, 1, -3), f32(sh(3), 0, 0.8427007929497149, -0.9999779095030014)},
		{"Elu", nil, f32(sh(2), -1, 2), f32(sh(2), float32(math.Exp(-1)-1), 2)},
		{"Selu", nil, f32(sh(2), 0, 1), f32(sh(2), 0, 1.0507010221481323)},
		{"Celu", []onnx.Attribute{fattr("alpha", 2)}, f32(sh(2), -2, 3), f32(sh(2), float32(2*(math.Exp(-1)-1)), 3)},
		{"Softplus", nil, f32(sh(3), 0, 100, -100), f32(sh(3), float32(math.Ln2), 100, float32(math.Exp(-100)))},
		{"Softsign", nil, f32(sh(2), 1, -3), f32(sh(2), 0.5, -0.75)},
		{"ThresholdedRelu", nil, f32(sh(3), 0.5, 1, 2), f32(sh(3), 0, 0, 2)},
		{"Cos", nil, f64(sh(1), 0), f64(sh(1), 1)},
		{"Relu", nil, f32(sh(0, 3)), f32(sh(0, 3))},
		{"Exp", nil, f32(sh(), 0), f32(sh(), 1)},
	}
	for _, c := range cases {
		t.Run(c.op+"_"+c.in.String(), func(t *testing.T) {
			got := mustRun(t, c.op, 14, c.attrs, c.in)
			wantTensor(t, got, c.want, 1e-6)
		})
	}
}

func TestUnaryErrors(t *testing.T) {
	cases := []struct {
		op  string
		in  *tensor.Tensor
		msg string
	}{
		{"Sqrt", i32(sh(1), 4), "int32"},
		{"Neg", tensor.MustFromSlice([]uint8{1}, 1), "uint8"},
		{"Relu", tensor.MustFromSlice([]string{"a"}, 1), "string"},
		{"Tanh", nil, "missing"},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			var err error
			if c.in == nil {
				_, err = run(t, c.op, 13, nil)
			} else {
				_, err = run(t, c.op, 13, nil, c.in)
			}
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
		})
	}
	t.Run("bad_attr_type", func(t *testing.T) {
		_, err := run(t, "LeakyRelu", 13, []onnx.Attribute{iattr("alpha", 1)}, f32(sh(1), 1))
		if err == nil || !strings.Contains(err.Error(), "alpha") {
			t.Fatalf("error %v, want one naming alpha", err)
		}
	})
}

func TestClip(t *testing.T) {
	x := f32(sh(5), -3, -1, 0, 1, 3)
	cases := []struct {
		name   string
		opset  int64
		attrs  []onnx.Attribute
		inputs []*tensor.Tensor
		want   *tensor.Tensor
	}{
		{"attrs", 6, []onnx.Attribute{fattr("min", -1), fattr("max", 2)}, []*tensor.Tensor{x}, f32(sh(5), -1, -1, 0, 1, 2)},
		{"attr_min_only", 6, []onnx.Attribute{fattr("min", 0)}, []*tensor.Tensor{x}, f32(sh(5), 0, 0, 0, 1, 3)},
		{"attr_none_f64", 6, nil, []*tensor.Tensor{f64(sh(1), 1e300)}, f64(sh(1), 1e300)},
		{"inputs", 13, nil, []*tensor.Tensor{x, f32(sh(), -1), f32(sh(), 2)}, f32(sh(5), -1, -1, 0, 1, 2)},
		{"no_bounds", 13, nil, []*tensor.Tensor{x}, x},
		{"max_only", 13, nil, []*tensor.Tensor{x, nil, f32(sh(), 0)}, f32(sh(5), -3, -1, 0, 0, 0)},
		{"min_only", 13, nil, []*tensor.Tensor{x, f32(sh(), 0)}, f32(sh(5), 0, 0, 0, 1, 3)},
		{"min_above_max", 13, nil, []*tensor.Tensor{x, f32(sh(), 2), f32(sh(), 1)}, f32(sh(5), 1, 1, 1, 1, 1)},
		{"int8", 13, nil, []*tensor.Tensor{tensor.MustFromSlice([]int8{-100, 5, 100}, 3), tensor.MustFromSlice([]int8{-10}), tensor.MustFromSlice([]int8{10})},
			tensor.MustFromSlice([]int8{-10, 5, 10}, 3)},
		{"nan_kept", 13, nil, []*tensor.Tensor{f32(sh(1), float32(math.NaN())), f32(sh(), 0), f32(sh(), 1)}, f32(sh(1), float32(math.NaN()))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, "Clip", c.opset, c.attrs, c.inputs...), c.want, 0)
		})
	}
	errs := []struct {
		name   string
		inputs []*tensor.Tensor
		msg    string
	}{
		{"bound_not_scalar", []*tensor.Tensor{x, f32(sh(2), 0, 1)}, "input 1 (min)"},
		{"bound_dtype", []*tensor.Tensor{x, nil, f64(sh(), 1)}, "input 2 (max)"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, "Clip", 13, nil, c.inputs...)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
		})
	}
}
