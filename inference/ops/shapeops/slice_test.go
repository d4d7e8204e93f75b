package shapeops

import (
	"math"
	"testing"
)

func TestSlice(t *testing.T) {
	x := seq(3, 4) // rows 0..3, 4..7, 8..11
	big := int64(math.MaxInt64)
	runCases(t, []opCase{
		{name: "basic", op: "Slice", in: ts(x, vec(0, 1), vec(2, 3)),
			want: ts(f32(sh(2, 2), 1, 2, 5, 6))},
		{name: "axes and steps", op: "Slice", in: ts(x, vec(0), vec(4), vec(1), vec(2)),
			want: ts(f32(sh(3, 2), 0, 2, 4, 6, 8, 10))},
		{name: "negative axes", op: "Slice", in: ts(x, vec(1), vec(3), vec(-2)),
			want: ts(f32(sh(2, 4), 4, 5, 6, 7, 8, 9, 10, 11))},
		{name: "negative starts ends", op: "Slice", in: ts(x, vec(-1), vec(-5), vec(1), vec(-1)),
			want: ts(f32(sh(3, 4), 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8))},
		{name: "negative step int64 min end", op: "Slice", in: ts(seq(5), vec(-1), vec(math.MinInt64), vec(0), vec(-2)),
			want: ts(f32(sh(3), 4, 2, 0))},
		{name: "negative step clamps start", op: "Slice", in: ts(seq(5), vec(10), vec(1), vec(0), vec(-3)),
			want: ts(f32(sh(1), 4))},
		{name: "int64 max end", op: "Slice", in: ts(seq(5), vec(2), vec(big)),
			want: ts(f32(sh(3), 2, 3, 4))},
		{name: "huge step", op: "Slice", in: ts(seq(5), vec(1), vec(big), vec(0), vec(big)),
			want: ts(f32(sh(1), 1))},
		{name: "start out of bounds", op: "Slice", in: ts(seq(5), vec(7), vec(big)),
			want: ts(f32(sh(0)))},
		{name: "empty when end before start", op: "Slice", in: ts(x, vec(2), vec(1), vec(1)),
			want: ts(f32(sh(3, 0)))},
		{name: "int32 inputs", op: "Slice", in: ts(seq(4), i32(sh(1), 1), i32(sh(1), -1)),
			want: ts(f32(sh(2), 1, 2))},
		{name: "strings", op: "Slice", in: ts(tt([]string{"a", "b", "c"}, 3), vec(1), vec(3)),
			want: ts(tt([]string{"b", "c"}, 2))},
		{name: "zero-size input", op: "Slice", in: ts(seq(0, 3), vec(1), vec(3), vec(1)),
			want: ts(f32(sh(0, 2)))},
		{name: "opset 1 attributes", op: "Slice", opset: 1,
			attrs: attrs(aInts("starts", 1), aInts("ends", 1000), aInts("axes", 1)),
			in:    ts(x), want: ts(f32(sh(3, 3), 1, 2, 3, 5, 6, 7, 9, 10, 11))},
		{name: "opset 9 default axes", op: "Slice", opset: 9,
			attrs: attrs(aInts("starts", 0, -2), aInts("ends", -2, 4)),
			in:    ts(x), want: ts(f32(sh(1, 2), 2, 3))},
		{name: "step zero", op: "Slice", in: ts(seq(3), vec(0), vec(3), vec(0), vec(0)), err: "is 0"},
		{name: "duplicate axes", op: "Slice", in: ts(x, vec(0, 0), vec(1, 1), vec(0, -2)), err: "appears twice"},
		{name: "length mismatch", op: "Slice", in: ts(x, vec(0, 0), vec(1)), err: "ends has 1"},
		{name: "float starts", op: "Slice", in: ts(x, f32(sh(1), 0), vec(1)), err: "starts input has type float32"},
	})
}
