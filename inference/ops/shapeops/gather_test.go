package shapeops

import "testing"

func TestShape(t *testing.T) {
	x := seq(3, 4, 5)
	runCases(t, []opCase{
		{name: "full", op: "Shape", in: ts(x), want: ts(vec(3, 4, 5))},
		{name: "scalar", op: "Shape", in: ts(f32(sh(), 1)), want: ts(vec())},
		{name: "start 1", op: "Shape", opset: 15, attrs: attrs(aInt("start", 1)), in: ts(x), want: ts(vec(4, 5))},
		{name: "end -1", op: "Shape", opset: 15, attrs: attrs(aInt("end", -1)), in: ts(x), want: ts(vec(3, 4))},
		{name: "start -1", op: "Shape", opset: 15, attrs: attrs(aInt("start", -1)), in: ts(x), want: ts(vec(5))},
		{name: "clip", op: "Shape", opset: 15, attrs: attrs(aInt("start", -10), aInt("end", 10)), in: ts(x), want: ts(vec(3, 4, 5))},
		{name: "start after end", op: "Shape", opset: 15, attrs: attrs(aInt("start", 2), aInt("end", 1)), in: ts(x), want: ts(vec())},
		{name: "start ignored before 15", op: "Shape", opset: 13, attrs: attrs(aInt("start", 2)), in: ts(x), want: ts(vec(3, 4, 5))},
	})
}

func TestGather(t *testing.T) {
	x := seq(3, 2) // 0 1 / 2 3 / 4 5
	runCases(t, []opCase{
		{name: "axis0", op: "Gather", in: ts(x, vec(2, 0)), want: ts(f32(sh(2, 2), 4, 5, 0, 1))},
		{name: "axis1 2d indices", op: "Gather", attrs: attrs(aInt("axis", 1)), in: ts(x, i64(sh(1, 2), 1, 0)),
			want: ts(f32(sh(3, 1, 2), 1, 0, 3, 2, 5, 4))},
		{name: "negative axis and index", op: "Gather", attrs: attrs(aInt("axis", -1)), in: ts(x, i32(sh(1), -1)),
			want: ts(f32(sh(3, 1), 1, 3, 5))},
		{name: "scalar index reduces rank", op: "Gather", in: ts(x, i64(sh(), 1)), want: ts(f32(sh(2), 2, 3))},
		{name: "scalar index on 1d", op: "Gather", in: ts(tt([]string{"a", "b"}, 2), i64(sh(), -2)), want: ts(tt([]string{"a"}))},
		{name: "empty indices", op: "Gather", in: ts(x, i64(sh(0))), want: ts(f32(sh(0, 2)))},
		{name: "out of range", op: "Gather", in: ts(x, vec(3)), err: "out of range"},
		{name: "float indices", op: "Gather", in: ts(x, f32(sh(1), 0)), err: "indices input has type float32"},
		{name: "bad axis", op: "Gather", attrs: attrs(aInt("axis", 2)), in: ts(x, vec(0)), err: "out of range"},
	})
}

func TestTranspose(t *testing.T) {
	x := seq(2, 3)
	y := seq(2, 3, 4)
	runCases(t, []opCase{
		{name: "default 2d", op: "Transpose", in: ts(x), want: ts(f32(sh(3, 2), 0, 3, 1, 4, 2, 5))},
		{name: "perm 1 0 2", op: "Transpose", attrs: attrs(aInts("perm", 1, 0, 2)), in: ts(y),
			want: ts(f32(sh(3, 2, 4), 0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23))},
		{name: "perm 2 0 1", op: "Transpose", attrs: attrs(aInts("perm", 2, 0, 1)), in: ts(seq(1, 2, 2)),
			want: ts(f32(sh(2, 1, 2), 0, 2, 1, 3))},
		{name: "scalar", op: "Transpose", in: ts(f32(sh(), 3)), want: ts(f32(sh(), 3))},
		{name: "zero dim", op: "Transpose", in: ts(seq(0, 3)), want: ts(seq(3, 0))},
		{name: "bools", op: "Transpose", in: ts(tt([]bool{true, false}, 1, 2)), want: ts(tt([]bool{true, false}, 2, 1))},
		{name: "not permutation", op: "Transpose", attrs: attrs(aInts("perm", 0, 0)), in: ts(x), err: "not a permutation"},
		{name: "wrong length", op: "Transpose", attrs: attrs(aInts("perm", 0)), in: ts(x), err: "has 1 entries"},
	})
}

func TestPad(t *testing.T) {
	x := f32(sh(2, 3), 1, 2, 3, 4, 5, 6)
	runCases(t, []opCase{
		{name: "constant zero", op: "Pad", in: ts(x, vec(0, 1, 1, 0)),
			want: ts(f32(sh(3, 4), 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0))},
		{name: "constant value", op: "Pad", in: ts(f32(sh(2), 1, 2), vec(1, 2), f32(sh(), 9)),
			want: ts(f32(sh(5), 9, 1, 2, 9, 9))},
		{name: "edge", op: "Pad", attrs: attrs(aStr("mode", "edge")), in: ts(x, vec(0, 2, 0, 1)),
			want: ts(f32(sh(2, 6), 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6))},
		{name: "reflect", op: "Pad", attrs: attrs(aStr("mode", "reflect")), in: ts(x, vec(1, 2, 0, 1)),
			want: ts(f32(sh(3, 6), 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5))},
		{name: "reflect beyond size", op: "Pad", attrs: attrs(aStr("mode", "reflect")), in: ts(f32(sh(2), 1, 2), vec(3, 0)),
			want: ts(f32(sh(5), 2, 1, 2, 1, 2))},
		{name: "wrap", op: "Pad", attrs: attrs(aStr("mode", "wrap")), in: ts(f32(sh(2), 1, 2), vec(3, 1)),
			want: ts(f32(sh(6), 2, 1, 2, 1, 2, 1))},
		{name: "negative crops", op: "Pad", in: ts(x, vec(0, -1, 1, -1)),
			want: ts(f32(sh(3, 1), 2, 5, 0))},
		{name: "axes opset 18", op: "Pad", opset: 18, in: ts(x, vec(1, 1), nil, vec(-1)),
			want: ts(f32(sh(2, 5), 0, 1, 2, 3, 0, 0, 4, 5, 6, 0))},
		{name: "int constant", op: "Pad", in: ts(i64(sh(1), 5), vec(1, 0), i64(sh(1), -1)),
			want: ts(i64(sh(2), -1, 5))},
		{name: "opset 2 attributes", op: "Pad", opset: 2, attrs: attrs(aInts("pads", 1, 0), aFloat("value", 1.5)),
			in: ts(f32(sh(1), 2)), want: ts(f32(sh(2), 1.5, 2))},
		{name: "opset 2 value cast to int", op: "Pad", opset: 2, attrs: attrs(aInts("pads", 0, 1), aFloat("value", 2.7)),
			in: ts(i32(sh(1), 1)), want: ts(i32(sh(2), 1, 2))},
		{name: "opset 1 paddings", op: "Pad", opset: 1, attrs: attrs(aInts("paddings", 1, 1), aStr("mode", "edge")),
			in: ts(f32(sh(1), 2)), want: ts(f32(sh(3), 2, 2, 2))},
		{name: "pad empty axis constant", op: "Pad", in: ts(seq(0), vec(1, 1)), want: ts(f32(sh(2), 0, 0))},
		{name: "pad empty axis edge", op: "Pad", attrs: attrs(aStr("mode", "edge")), in: ts(seq(0), vec(1, 1)), err: "size 0"},
		{name: "scalar no pads", op: "Pad", in: ts(f32(sh(), 3), vec()), want: ts(f32(sh(), 3))},
		{name: "bad mode", op: "Pad", attrs: attrs(aStr("mode", "mirror")), in: ts(x, vec(0, 0, 0, 0)), err: "mode"},
		{name: "wrong pads length", op: "Pad", in: ts(x, vec(1, 1)), err: "pads has 2 entries"},
		{name: "crop too much", op: "Pad", in: ts(x, vec(-2, 0, -1, 0)), err: "negative"},
		{name: "constant type mismatch", op: "Pad", in: ts(x, vec(0, 0, 0, 0), i64(sh(), 1)), err: "constant_value"},
	})
}

func TestGatherElementsND(t *testing.T) {
	x := f32(sh(2, 2), 1, 2, 3, 4)
	runCases(t, []opCase{
		{name: "elements axis1", op: "GatherElements", attrs: attrs(aInt("axis", 1)), in: ts(x, i64(sh(2, 2), 0, 0, 1, 0)),
			want: ts(f32(sh(2, 2), 1, 1, 4, 3))},
		{name: "elements axis0 negative", op: "GatherElements", in: ts(seq(3, 3), i32(sh(2, 3), 1, 2, 0, 2, 0, -3)),
			want: ts(f32(sh(2, 3), 3, 7, 2, 6, 1, 2))},
		{name: "elements smaller indices", op: "GatherElements", attrs: attrs(aInt("axis", -1)), in: ts(seq(2, 3), i64(sh(1, 1), 2)),
			want: ts(f32(sh(1, 1), 2))},
		{name: "elements out of range", op: "GatherElements", in: ts(x, i64(sh(1, 1), 2)), err: "out of range"},
		{name: "elements rank mismatch", op: "GatherElements", in: ts(x, vec(0)), err: "rank"},
		{name: "nd elements", op: "GatherND", in: ts(i32(sh(2, 2), 0, 1, 2, 3), i64(sh(2, 2), 0, 0, 1, 1)), want: ts(i32(sh(2), 0, 3))},
		{name: "nd slices", op: "GatherND", in: ts(i32(sh(2, 2), 0, 1, 2, 3), i64(sh(2, 1), 1, -2)), want: ts(i32(sh(2, 2), 2, 3, 0, 1))},
		{name: "nd batch", op: "GatherND", attrs: attrs(aInt("batch_dims", 1)),
			in: ts(seq(2, 2, 2), i64(sh(2, 1), 1, 0)), want: ts(f32(sh(2, 2), 2, 3, 4, 5))},
		{name: "nd bad k", op: "GatherND", in: ts(seq(2), i64(sh(1, 2), 0, 0)), err: "last dimension"},
		{name: "nd out of range", op: "GatherND", in: ts(seq(2), i64(sh(1, 1), 2)), err: "out of range"},
	})
}
