package shapeops

import (
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func TestConcat(t *testing.T) {
	runCases(t, []opCase{
		{name: "axis0", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in:   ts(f32(sh(1, 2), 1, 2), f32(sh(2, 2), 3, 4, 5, 6)),
			want: ts(f32(sh(3, 2), 1, 2, 3, 4, 5, 6))},
		{name: "axis1", op: "Concat", attrs: attrs(aInt("axis", 1)),
			in:   ts(f32(sh(2, 1), 1, 2), f32(sh(2, 2), 3, 4, 5, 6)),
			want: ts(f32(sh(2, 3), 1, 3, 4, 2, 5, 6))},
		{name: "negative axis", op: "Concat", attrs: attrs(aInt("axis", -1)),
			in:   ts(i64(sh(2, 1), 1, 2), i64(sh(2, 1), 3, 4), i64(sh(2, 0))),
			want: ts(i64(sh(2, 2), 1, 3, 2, 4))},
		{name: "strings", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in:   ts(tt([]string{"a"}, 1), tt([]string{"b", "c"}, 2)),
			want: ts(tt([]string{"a", "b", "c"}, 3))},
		{name: "float16 keeps dtype", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in:   ts(&tensor.Tensor{DType: tensor.Float16, Shape: sh(1), Data: []uint16{0x3c00}}, &tensor.Tensor{DType: tensor.Float16, Shape: sh(1), Data: []uint16{0x4000}}),
			want: ts(&tensor.Tensor{DType: tensor.Float16, Shape: sh(2), Data: []uint16{0x3c00, 0x4000}})},
		{name: "all empty", op: "Concat", attrs: attrs(aInt("axis", 1)),
			in:   ts(f32(sh(0, 2)), f32(sh(0, 3))),
			want: ts(f32(sh(0, 5)))},
		{name: "opset1 default axis 1", op: "Concat", opset: 1,
			in:   ts(f32(sh(1, 1), 1), f32(sh(1, 1), 2)),
			want: ts(f32(sh(1, 2), 1, 2))},
		{name: "axis required", op: "Concat", in: ts(f32(sh(1), 1)), err: "axis is required"},
		{name: "axis out of range", op: "Concat", attrs: attrs(aInt("axis", 2)), in: ts(f32(sh(1, 1), 1)), err: "out of range"},
		{name: "mismatched dims", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in: ts(f32(sh(1, 2), 1, 2), f32(sh(1, 3), 1, 2, 3)), err: "incompatible"},
		{name: "mismatched types", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in: ts(f32(sh(1), 1), i64(sh(1), 1)), err: "type"},
		{name: "scalar", op: "Concat", attrs: attrs(aInt("axis", 0)),
			in: ts(f32(sh(), 1)), err: "scalar"},
	})
}

func TestSplit(t *testing.T) {
	runCases(t, []opCase{
		{name: "equal 1d", op: "Split", in: ts(seq(6)),
			want: ts(f32(sh(2), 0, 1), f32(sh(2), 2, 3), f32(sh(2), 4, 5))},
		{name: "attribute split opset 11 axis -1", op: "Split", opset: 11, attrs: attrs(aInts("split", 1, 2), aInt("axis", -1)),
			in:   ts(seq(2, 3)),
			want: ts(f32(sh(2, 1), 0, 3), f32(sh(2, 2), 1, 2, 4, 5))},
		{name: "input split opset 13", op: "Split", opset: 13,
			in:   ts(seq(4, 1), vec(3, 1)),
			want: ts(f32(sh(3, 1), 0, 1, 2), f32(sh(1, 1), 3))},
		{name: "zero size splits", op: "Split", opset: 13,
			in:   ts(seq(3), vec(0, 3, 0)),
			want: ts(f32(sh(0)), f32(sh(3), 0, 1, 2), f32(sh(0)))},
		{name: "int32 split input", op: "Split", opset: 13,
			in:   ts(i64(sh(3), 7, 8, 9), i32(sh(2), 2, 1)),
			want: ts(i64(sh(2), 7, 8), i64(sh(1), 9))},
		{name: "num_outputs uneven opset 18", op: "Split", opset: 18, attrs: attrs(aInt("num_outputs", 3)),
			in:   ts(seq(5)),
			want: ts(f32(sh(2), 0, 1), f32(sh(2), 2, 3), f32(sh(1), 4))},
		{name: "uneven without num_outputs", op: "Split", in: ts(seq(5)), nout: 2, err: "equal parts"},
		{name: "bad sum", op: "Split", opset: 13, in: ts(seq(5), vec(2, 2)), nout: 2, err: "sum to 4"},
		{name: "wrong count", op: "Split", opset: 13, in: ts(seq(5), vec(5)), nout: 2, err: "has 2 outputs"},
		{name: "attribute at 13", op: "Split", opset: 13, attrs: attrs(aInts("split", 1)), in: ts(seq(1)), err: "not allowed"},
	})
}
