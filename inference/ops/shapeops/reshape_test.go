package shapeops

import (
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func TestReshape(t *testing.T) {
	x := seq(2, 3, 4)
	re := func(shape ...int) *tensor.Tensor { return seq(shape...) }
	runCases(t, []opCase{
		{name: "reordered", op: "Reshape", in: ts(x, vec(4, 2, 3)), want: ts(re(4, 2, 3))},
		{name: "infer", op: "Reshape", in: ts(x, vec(-1, 2)), want: ts(re(12, 2))},
		{name: "zero copies", op: "Reshape", in: ts(x, vec(0, 0, -1, 2)), want: ts(re(2, 3, 2, 2))},
		{name: "to scalar", op: "Reshape", in: ts(f32(sh(1, 1), 5), vec()), want: ts(f32(sh(), 5))},
		{name: "allowzero", op: "Reshape", opset: 14, attrs: attrs(aInt("allowzero", 1)),
			in: ts(seq(0, 3, 4), vec(3, 4, 0)), want: ts(seq(3, 4, 0))},
		{name: "zero without allowzero on empty", op: "Reshape", in: ts(seq(0, 3), vec(0, -1)), err: "ambiguous"},
		{name: "infer from empty", op: "Reshape", in: ts(seq(0, 3), vec(-1, 3)), want: ts(seq(0, 3))},
		{name: "opset 1 attribute", op: "Reshape", opset: 1, attrs: attrs(aInts("shape", 6, -1)),
			in: ts(x), want: ts(re(6, 4))},
		{name: "two -1", op: "Reshape", in: ts(x, vec(-1, -1)), err: "two -1 entries"},
		{name: "bad count", op: "Reshape", in: ts(x, vec(5, -1)), err: "cannot reshape"},
		{name: "bad size", op: "Reshape", in: ts(x, vec(5, 5)), err: "cannot reshape"},
		{name: "zero past rank", op: "Reshape", in: ts(seq(24), vec(24, 0)), err: "rank 1"},
		{name: "allowzero with -1", op: "Reshape", attrs: attrs(aInt("allowzero", 1)),
			in: ts(seq(0), vec(0, -1)), err: "both 0 and -1"},
		{name: "strings", op: "Reshape", in: ts(tt([]string{"a", "b"}, 2), vec(1, 2)), want: ts(tt([]string{"a", "b"}, 1, 2))},
	})
}

func TestFlatten(t *testing.T) {
	x := seq(2, 3, 4)
	runCases(t, []opCase{
		{name: "default", op: "Flatten", in: ts(x), want: ts(seq(2, 12))},
		{name: "axis0", op: "Flatten", attrs: attrs(aInt("axis", 0)), in: ts(x), want: ts(seq(1, 24))},
		{name: "axis3", op: "Flatten", attrs: attrs(aInt("axis", 3)), in: ts(x), want: ts(seq(24, 1))},
		{name: "axis -1", op: "Flatten", attrs: attrs(aInt("axis", -1)), in: ts(x), want: ts(seq(6, 4))},
		{name: "axis -3", op: "Flatten", attrs: attrs(aInt("axis", -3)), in: ts(x), want: ts(seq(1, 24))},
		{name: "empty", op: "Flatten", in: ts(seq(2, 0, 3)), want: ts(seq(2, 0))},
		{name: "out of range", op: "Flatten", attrs: attrs(aInt("axis", 4)), in: ts(x), err: "out of range"},
		{name: "out of range negative", op: "Flatten", attrs: attrs(aInt("axis", -4)), in: ts(x), err: "out of range"},
	})
}

func TestSqueezeUnsqueeze(t *testing.T) {
	runCases(t, []opCase{
		{name: "squeeze all", op: "Squeeze", in: ts(seq(1, 3, 1, 2)), want: ts(seq(3, 2))},
		{name: "squeeze attr", op: "Squeeze", opset: 11, attrs: attrs(aInts("axes", -2)), in: ts(seq(1, 3, 1, 2)), want: ts(seq(1, 3, 2))},
		{name: "squeeze input", op: "Squeeze", opset: 13, in: ts(seq(1, 3, 1, 2), vec(0, 2)), want: ts(seq(3, 2))},
		{name: "squeeze to scalar", op: "Squeeze", in: ts(f32(sh(1, 1), 7)), want: ts(f32(sh(), 7))},
		{name: "squeeze non-1", op: "Squeeze", in: ts(seq(1, 3), vec(1)), err: "is not 1"},
		{name: "squeeze attr at 13", op: "Squeeze", opset: 13, attrs: attrs(aInts("axes", 0)), in: ts(seq(1)), err: "not allowed"},
		{name: "unsqueeze input", op: "Unsqueeze", in: ts(seq(3, 2), vec(0, 3)), want: ts(seq(1, 3, 2, 1))},
		{name: "unsqueeze unsorted negative", op: "Unsqueeze", in: ts(seq(3, 2), vec(-1, 1)), want: ts(seq(3, 1, 2, 1))},
		{name: "unsqueeze attr", op: "Unsqueeze", opset: 11, attrs: attrs(aInts("axes", 2, 0)), in: ts(seq(3)), want: ts(seq(1, 3, 1))},
		{name: "unsqueeze scalar", op: "Unsqueeze", in: ts(f32(sh(), 4), vec(0)), want: ts(f32(sh(1), 4))},
		{name: "unsqueeze duplicate", op: "Unsqueeze", in: ts(seq(3), vec(0, 0)), err: "twice"},
		{name: "unsqueeze out of range", op: "Unsqueeze", in: ts(seq(3), vec(2)), err: "out of range"},
		{name: "unsqueeze missing axes", op: "Unsqueeze", in: ts(seq(3)), err: "axes is required"},
	})
}

func TestIdentityDropout(t *testing.T) {
	x := seq(2, 2)
	mask := tt([]bool{true, true, true, true}, 2, 2)
	runCases(t, []opCase{
		{name: "identity", op: "Identity", in: ts(x), want: ts(x)},
		{name: "identity scalar string", op: "Identity", in: ts(tt([]string{"s"})), want: ts(tt([]string{"s"}))},
		{name: "dropout", op: "Dropout", in: ts(x), want: ts(x)},
		{name: "dropout mask", op: "Dropout", in: ts(x), want: ts(x, mask)},
		{name: "dropout ratio and training false", op: "Dropout", opset: 13,
			in: ts(x, f32(sh(), 0.3), tt([]bool{false})), want: ts(x, mask)},
		{name: "dropout training zero ratio", op: "Dropout", opset: 13,
			in: ts(x, f32(sh(), 0), tt([]bool{true})), want: ts(x)},
		{name: "dropout training", op: "Dropout", opset: 13,
			in: ts(x, f32(sh(), 0.5), tt([]bool{true})), err: "training_mode"},
		{name: "dropout old mask has input type", op: "Dropout", opset: 7,
			in: ts(i64(sh(2), 3, 4)), want: ts(i64(sh(2), 3, 4), i64(sh(2), 1, 1))},
		{name: "dropout opset 6 is_test", op: "Dropout", opset: 6, attrs: attrs(aInt("is_test", 1)),
			in: ts(x), want: ts(x)},
	})
}
