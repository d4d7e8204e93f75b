package shapeops

import (
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
)

func TestConstant(t *testing.T) {
	v := f32(sh(2), 1, 2)
	runCases(t, []opCase{
		{name: "value", op: "Constant", opset: 9, attrs: attrs(aTensor("value", v)), want: ts(v)},
		{name: "value_float", op: "Constant", opset: 12, attrs: attrs(aFloat("value_float", 1.5)), want: ts(f32(sh(), 1.5))},
		{name: "value_floats", op: "Constant", attrs: attrs(onnx.Attribute{Name: "value_floats", Type: onnx.AttrFloats, Floats: []float32{1, 2}}), want: ts(v)},
		{name: "value_int", op: "Constant", attrs: attrs(aInt("value_int", 7)), want: ts(i64(sh(), 7))},
		{name: "value_ints", op: "Constant", attrs: attrs(aInts("value_ints", 7, 8)), want: ts(vec(7, 8))},
		{name: "value_string", op: "Constant", attrs: attrs(aStr("value_string", "hi")), want: ts(tt([]string{"hi"}))},
		{name: "value_strings", op: "Constant", attrs: attrs(onnx.Attribute{Name: "value_strings", Type: onnx.AttrStrings, Strings: [][]byte{[]byte("a"), []byte("b")}}),
			want: ts(tt([]string{"a", "b"}, 2))},
		{name: "value_int before 12", op: "Constant", opset: 11, attrs: attrs(aInt("value_int", 7)), err: "opset 12"},
		{name: "none", op: "Constant", err: "exactly one"},
		{name: "two", op: "Constant", attrs: attrs(aInt("value_int", 7), aTensor("value", v)), err: "exactly one"},
		{name: "sparse", op: "Constant", attrs: attrs(onnx.Attribute{Name: "sparse_value", Type: 11}), err: "sparse_value"},
		{name: "wrong type", op: "Constant", attrs: attrs(aFloat("value_int", 1)), err: "has type"},
	})
}

func TestConstantOfShape(t *testing.T) {
	runCases(t, []opCase{
		{name: "default zeros", op: "ConstantOfShape", in: ts(vec(2, 1)), want: ts(f32(sh(2, 1), 0, 0))},
		{name: "int value", op: "ConstantOfShape", attrs: attrs(aTensor("value", i32(sh(1), 4))), in: ts(vec(3)), want: ts(i32(sh(3), 4, 4, 4))},
		{name: "zero dim", op: "ConstantOfShape", attrs: attrs(aTensor("value", vec(1))), in: ts(vec(0)), want: ts(i64(sh(0)))},
		{name: "scalar", op: "ConstantOfShape", attrs: attrs(aTensor("value", f32(sh(1), 1))), in: ts(i64(sh(0))), want: ts(f32(sh(), 1))},
		{name: "float16", op: "ConstantOfShape", attrs: attrs(aTensor("value", half(0x3c00))), in: ts(vec(2)), want: ts(half(0x3c00, 0x3c00))},
		{name: "negative", op: "ConstantOfShape", in: ts(vec(-1)), err: "negative"},
		{name: "two values", op: "ConstantOfShape", attrs: attrs(aTensor("value", vec(1, 2))), in: ts(vec(1)), err: "one element"},
	})
}

func TestExpandTile(t *testing.T) {
	runCases(t, []opCase{
		{name: "expand dim changed", op: "Expand", in: ts(f32(sh(3, 1), 1, 2, 3), vec(2, 1, 2)),
			want: ts(f32(sh(2, 3, 2), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3))},
		{name: "expand bidirectional ones", op: "Expand", in: ts(f32(sh(3, 1), 1, 2, 3), vec(1, 1)),
			want: ts(f32(sh(3, 1), 1, 2, 3))},
		{name: "expand scalar", op: "Expand", in: ts(tt([]string{"x"}), vec(2)), want: ts(tt([]string{"x", "x"}, 2))},
		{name: "expand to zero", op: "Expand", in: ts(f32(sh(1), 1), vec(0)), want: ts(f32(sh(0)))},
		{name: "expand incompatible", op: "Expand", in: ts(seq(3), vec(2)), err: "not broadcast-compatible"},
		{name: "tile", op: "Tile", in: ts(f32(sh(2, 2), 1, 2, 3, 4), vec(1, 2)),
			want: ts(f32(sh(2, 4), 1, 2, 1, 2, 3, 4, 3, 4))},
		{name: "tile rows", op: "Tile", in: ts(f32(sh(1, 2), 1, 2), vec(3, 1)),
			want: ts(f32(sh(3, 2), 1, 2, 1, 2, 1, 2))},
		{name: "tile zero", op: "Tile", in: ts(seq(2), vec(0)), want: ts(f32(sh(0)))},
		{name: "tile scalar", op: "Tile", in: ts(f32(sh(), 5), vec()), want: ts(f32(sh(), 5))},
		{name: "tile opset 1", op: "Tile", opset: 1, in: ts(f32(sh(1, 2), 1, 2), i64(sh(), 2), i64(sh(), 0)),
			want: ts(f32(sh(2, 2), 1, 2, 1, 2))},
		{name: "tile wrong length", op: "Tile", in: ts(seq(2), vec(1, 1)), err: "2 entries"},
		{name: "tile negative", op: "Tile", in: ts(seq(2), vec(-1)), err: "negative"},
	})
}

func TestWhereRange(t *testing.T) {
	runCases(t, []opCase{
		{name: "where", op: "Where", in: ts(tt([]bool{true, false, false, true}, 2, 2), f32(sh(2, 2), 1, 2, 3, 4), f32(sh(2, 2), 9, 8, 7, 6)),
			want: ts(f32(sh(2, 2), 1, 8, 7, 4))},
		{name: "where broadcast", op: "Where", in: ts(tt([]bool{true, false}, 2), vec(1), i64(sh(2, 1), 5, 6)),
			want: ts(i64(sh(2, 2), 1, 5, 1, 6))},
		{name: "where strings", op: "Where", in: ts(tt([]bool{false}), tt([]string{"a"}), tt([]string{"b"})), want: ts(tt([]string{"b"}))},
		{name: "where bad cond", op: "Where", in: ts(vec(1), vec(1), vec(1)), err: "want bool"},
		{name: "where type mismatch", op: "Where", in: ts(tt([]bool{true}), vec(1), f32(sh(), 1)), err: "Y has"},
		{name: "range float", op: "Range", in: ts(f32(sh(), 1), f32(sh(), 2), f32(sh(), 0.3)),
			want: ts(f32(sh(4), 1, 1.3, 1+2*float32(0.3), 1+3*float32(0.3)))},
		{name: "range int negative delta", op: "Range", in: ts(i32(sh(), 10), i32(sh(), 6), i32(sh(), -3)),
			want: ts(i32(sh(2), 10, 7))},
		{name: "range empty", op: "Range", in: ts(vec(5), vec(1), vec(1)), want: ts(i64(sh(0)))},
		{name: "range int16", op: "Range", in: ts(tt([]int16{0}), tt([]int16{3}), tt([]int16{1})), want: ts(tt([]int16{0, 1, 2}, 3))},
		{name: "range zero delta", op: "Range", in: ts(vec(0), vec(1), vec(0)), err: "delta input is 0"},
		{name: "range mixed types", op: "Range", in: ts(vec(0), f32(sh(), 1), vec(1)), err: "limit input has type"},
		{name: "range infinite", op: "Range", in: ts(f32(sh(), 0), f32(sh(), float32(math.Inf(1))), f32(sh(), 1)), err: "too many"},
	})
}

func TestCompare(t *testing.T) {
	nan := float32(math.NaN())
	b := func(v ...bool) []bool { return v }
	runCases(t, []opCase{
		{name: "equal", op: "Equal", in: ts(vec(1, 2, 3), vec(1, 5, 3)), want: ts(tt(b(true, false, true), 3))},
		{name: "equal broadcast", op: "Equal", in: ts(i32(sh(2, 2), 1, 2, 3, 4), i32(sh(2), 1, 4)), want: ts(tt(b(true, false, false, true), 2, 2))},
		{name: "equal nan", op: "Equal", in: ts(f32(sh(1), nan), f32(sh(1), nan)), want: ts(tt(b(false), 1))},
		{name: "equal bool", op: "Equal", in: ts(tt(b(true, false), 2), tt(b(true), 1)), want: ts(tt(b(true, false), 2))},
		{name: "equal string", op: "Equal", in: ts(tt([]string{"a", "b"}, 2), tt([]string{"b"})), want: ts(tt(b(false, true), 2))},
		{name: "less", op: "Less", in: ts(f32(sh(3), 1, 2, 3), f32(sh(), 2)), want: ts(tt(b(true, false, false), 3))},
		{name: "greater", op: "Greater", in: ts(f32(sh(3), 1, 2, 3), f32(sh(), 2)), want: ts(tt(b(false, false, true), 3))},
		{name: "less or equal", op: "LessOrEqual", in: ts(vec(1, 2, 3), vec(2)), want: ts(tt(b(true, true, false), 3))},
		{name: "greater or equal", op: "GreaterOrEqual", in: ts(vec(1, 2, 3), vec(2)), want: ts(tt(b(false, true, true), 3))},
		{name: "less float16", op: "Less", in: ts(half(0xc000, 0x3c00), half(0x0000)), want: ts(tt(b(true, false), 2))},
		{name: "less uint64", op: "Less", in: ts(tt([]uint64{1 << 63}, 1), tt([]uint64{1}, 1)), want: ts(tt(b(false), 1))},
		{name: "empty", op: "Greater", in: ts(f32(sh(0, 3)), f32(sh(3), 1, 2, 3)), want: ts(tt(b(), 0, 3))},
		{name: "less bool", op: "Less", in: ts(tt(b(true), 1), tt(b(true), 1)), err: "only Equal"},
		{name: "type mismatch", op: "Equal", in: ts(vec(1), i32(sh(1), 1)), err: "types"},
		{name: "shape mismatch", op: "Equal", in: ts(vec(1, 2), vec(1, 2, 3)), err: "broadcast"},
	})
}
