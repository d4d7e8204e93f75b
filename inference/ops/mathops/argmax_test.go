package mathops

import (
	"math"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func TestArgMaxMin(t *testing.T) {
	nan := float32(math.NaN())
	x := f32(sh(2, 3), 1, 5, 5, 7, 0, 7)
	cases := []struct {
		name  string
		op    string
		attrs []onnx.Attribute
		in    *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"max_axis0", "ArgMax", nil, x, i64(sh(1, 3), 1, 0, 1)},
		{"max_axis1_first", "ArgMax", []onnx.Attribute{iattr("axis", 1)}, x, i64(sh(2, 1), 1, 0)},
		{"max_axis1_last", "ArgMax", []onnx.Attribute{iattr("axis", -1), iattr("select_last_index", 1)}, x, i64(sh(2, 1), 2, 2)},
		{"min_drop", "ArgMin", []onnx.Attribute{iattr("axis", 1), iattr("keepdims", 0)}, x, i64(sh(2), 0, 1)},
		{"max_nan_first", "ArgMax", []onnx.Attribute{iattr("keepdims", 0)}, f32(sh(4), 1, nan, 9, nan), i64(sh(), 1)},
		{"min_nan_last", "ArgMin", []onnx.Attribute{iattr("keepdims", 0), iattr("select_last_index", 1)}, f32(sh(4), 1, nan, 9, nan), i64(sh(), 3)},
		{"min_uint8", "ArgMin", []onnx.Attribute{iattr("keepdims", 0)}, tensor.MustFromSlice([]uint8{9, 200, 3}, 3), i64(sh(), 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, c.op, 13, c.attrs, c.in), c.want, 0)
		})
	}
	t.Run("empty_axis", func(t *testing.T) {
		_, err := run(t, "ArgMax", 13, nil, f32(sh(0, 2)))
		if err == nil || !strings.Contains(err.Error(), "no elements") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestHardmax(t *testing.T) {
	x := f32(sh(2, 2, 2), 1, 4, 3, 2, 5, 5, 0, 9)
	cases := []struct {
		name  string
		opset int64
		attrs []onnx.Attribute
		want  *tensor.Tensor
	}{
		{"v13_last", 13, nil, f32(sh(2, 2, 2), 0, 1, 1, 0, 1, 0, 0, 1)},
		{"v13_axis1", 13, []onnx.Attribute{iattr("axis", 1)}, f32(sh(2, 2, 2), 0, 1, 1, 0, 1, 0, 0, 1)},
		{"v13_axis0", 13, []onnx.Attribute{iattr("axis", 0)}, f32(sh(2, 2, 2), 0, 0, 1, 0, 1, 1, 0, 1)},
		{"v11_coerce_default", 11, nil, f32(sh(2, 2, 2), 0, 1, 0, 0, 0, 0, 0, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, "Hardmax", c.opset, c.attrs, x), c.want, 0)
		})
	}
}

func TestCumSum(t *testing.T) {
	x := i32(sh(2, 3), 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name  string
		attrs []onnx.Attribute
		axis  *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"axis1", nil, i64(sh(), 1), i32(sh(2, 3), 1, 3, 6, 4, 9, 15)},
		{"axis0_int32_axis", nil, i32(sh(1), 0), i32(sh(2, 3), 1, 2, 3, 5, 7, 9)},
		{"exclusive", []onnx.Attribute{iattr("exclusive", 1)}, i64(sh(), -1), i32(sh(2, 3), 0, 1, 3, 0, 4, 9)},
		{"reverse", []onnx.Attribute{iattr("reverse", 1)}, i64(sh(), 1), i32(sh(2, 3), 6, 5, 3, 15, 11, 6)},
		{"reverse_exclusive", []onnx.Attribute{iattr("reverse", 1), iattr("exclusive", 1)}, i64(sh(), 1), i32(sh(2, 3), 5, 3, 0, 11, 6, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, "CumSum", 14, c.attrs, x, c.axis), c.want, 0)
		})
	}
	t.Run("axis_not_scalar", func(t *testing.T) {
		_, err := run(t, "CumSum", 14, nil, x, i64(sh(2), 0, 1))
		if err == nil || !strings.Contains(err.Error(), "input 1 (axis)") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestShrink(t *testing.T) {
	x := f32(sh(5), -2, -1, 0, 1, 2)
	got := mustRun(t, "Shrink", 13, []onnx.Attribute{fattr("lambd", 1.5), fattr("bias", 1)}, x)
	wantTensor(t, got, f32(sh(5), -1, 0, 0, 0, 1), 0)
}
