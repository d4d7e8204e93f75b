package shapeops

import (
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func half(bits ...uint16) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.Float16, Shape: sh(len(bits)), Data: bits}
}

func to(d tensor.DType) onnx.Attribute { return aInt("to", int64(d)) }

func TestCast(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	runCases(t, []opCase{
		{name: "float to int32 truncates", op: "Cast", attrs: attrs(to(tensor.Int32)),
			in: ts(f32(sh(4), 2.7, -2.7, 0.5, -0.5)), want: ts(i32(sh(4), 2, -2, 0, 0))},
		{name: "float to uint8 wraps", op: "Cast", attrs: attrs(to(tensor.Uint8)),
			in: ts(f32(sh(3), -1, 255.9, 256)), want: ts(tt([]uint8{255, 255, 0}, 3))},
		{name: "int64 to int8 wraps", op: "Cast", attrs: attrs(to(tensor.Int8)),
			in: ts(vec(300, -129, 5)), want: ts(tt([]int8{44, 127, 5}, 3))},
		{name: "int64 to float32 rounds", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in: ts(vec(16777217, -3)), want: ts(f32(sh(2), 16777216, -3))},
		{name: "uint64 big to float64", op: "Cast", attrs: attrs(to(tensor.Float64)),
			in: ts(tt([]uint64{1 << 63}, 1)), want: ts(tt([]float64{9223372036854775808}, 1))},
		{name: "float64 to uint64 big", op: "Cast", attrs: attrs(to(tensor.Uint64)),
			in: ts(tt([]float64{1 << 63, 3.9}, 2)), want: ts(tt([]uint64{1 << 63, 3}, 2))},
		{name: "float to bool", op: "Cast", attrs: attrs(to(tensor.Bool)),
			in: ts(f32(sh(4), 0, float32(math.Copysign(0, -1)), nan, -0.1)), want: ts(tt([]bool{false, false, true, true}, 4))},
		{name: "bool to float", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in: ts(tt([]bool{true, false}, 2)), want: ts(f32(sh(2), 1, 0))},
		{name: "bool to int64", op: "Cast", attrs: attrs(to(tensor.Int64)),
			in: ts(tt([]bool{true, false}, 2)), want: ts(vec(1, 0))},
		{name: "float to float64", op: "Cast", attrs: attrs(to(tensor.Float64)),
			in: ts(f32(sh(2), 0.1, inf)), want: ts(tt([]float64{float64(float32(0.1)), math.Inf(1)}, 2))},
		{name: "float64 to float rounds", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in: ts(tt([]float64{0.1, 1e300}, 2)), want: ts(f32(sh(2), 0.1, inf))},
		{name: "float to float16", op: "Cast", attrs: attrs(to(tensor.Float16)),
			in:   ts(f32(sh(8), 1, -2, 65504, 65520, 0.1, nan, -inf, 1e-8)),
			want: ts(half(0x3c00, 0xc000, 0x7bff, 0x7c00, 0x2e66, 0x7e00, 0xfc00, 0))},
		{name: "float16 to float", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in:   ts(half(0x3c00, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x3555, 0x8000)),
			want: ts(f32(sh(7), 1, 0x1p-24, 1023*0x1p-24, inf, -inf, 0.33325195, float32(math.Copysign(0, -1))))},
		{name: "float16 nan to float64", op: "Cast", attrs: attrs(to(tensor.Float64)),
			in: ts(half(0x7e00)), want: ts(tt([]float64{math.NaN()}, 1))},
		{name: "float16 to int32", op: "Cast", attrs: attrs(to(tensor.Int32)),
			in: ts(half(0xc100)), want: ts(i32(sh(1), -2))}, // -2.5
		{name: "int to float16", op: "Cast", attrs: attrs(to(tensor.Float16)),
			in: ts(vec(2049, 70000)), want: ts(half(0x6800, 0x7c00))},
		{name: "float16 to uint16 is numeric", op: "Cast", attrs: attrs(to(tensor.Uint16)),
			in: ts(half(0x4200)), want: ts(tt([]uint16{3}, 1))},
		{name: "uint16 to float16 is numeric", op: "Cast", attrs: attrs(to(tensor.Float16)),
			in: ts(tt([]uint16{3}, 1)), want: ts(half(0x4200))},
		{name: "float to string", op: "Cast", attrs: attrs(to(tensor.String)),
			in: ts(f32(sh(5), 0.1, 1e20, nan, -inf, 0.9767611)), want: ts(tt([]string{"0.1", "1e+20", "NaN", "-INF", "0.9767611"}, 5))},
		{name: "int to string", op: "Cast", attrs: attrs(to(tensor.String)),
			in: ts(vec(-5, 12)), want: ts(tt([]string{"-5", "12"}, 2))},
		{name: "string to float", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in: ts(tt([]string{"1.5", "-INF", "NaN", "0.47892547", "1e50"}, 5)), want: ts(f32(sh(5), 1.5, -inf, nan, 0.47892547, inf))},
		{name: "string to int64", op: "Cast", attrs: attrs(to(tensor.Int64)),
			in: ts(tt([]string{"123", "-4", "2.9", "9007199254740993"}, 4)), want: ts(vec(123, -4, 2, 9007199254740993))},
		{name: "string to uint64", op: "Cast", attrs: attrs(to(tensor.Uint64)),
			in: ts(tt([]string{"18446744073709551615"}, 1)), want: ts(tt([]uint64{math.MaxUint64}, 1))},
		{name: "string to bool", op: "Cast", attrs: attrs(to(tensor.Bool)),
			in: ts(tt([]string{"true", "0", "2"}, 3)), want: ts(tt([]bool{true, false, true}, 3))},
		{name: "same type", op: "Cast", attrs: attrs(to(tensor.Int64)), in: ts(vec(1)), want: ts(vec(1))},
		{name: "scalar and empty", op: "Cast", attrs: attrs(to(tensor.Int64)), in: ts(f32(sh(0, 2))), want: ts(i64(sh(0, 2)))},
		{name: "opset 1 string to", op: "Cast", opset: 1, attrs: attrs(aStr("to", "DOUBLE")),
			in: ts(f32(sh(), 2)), want: ts(tt([]float64{2}))},
		{name: "bad string", op: "Cast", attrs: attrs(to(tensor.Float32)), in: ts(tt([]string{"abc"}, 1)), err: `"abc"`},
		{name: "unknown type", op: "Cast", attrs: attrs(aInt("to", 99)), in: ts(seq(1)), err: "unsupported"},
		{name: "float to bfloat16", op: "Cast", attrs: attrs(aInt("to", 16)),
			in:   ts(f32(sh(5), 1, 1+0x1p-8, 1+3*0x1p-8, nan, -inf)),
			want: ts(&tensor.Tensor{DType: tensor.BFloat16, Shape: sh(5), Data: []uint16{0x3f80, 0x3f80, 0x3f82, 0x7fc0, 0xff80}})},
		{name: "bfloat16 to float", op: "Cast", attrs: attrs(to(tensor.Float32)),
			in:   ts(&tensor.Tensor{DType: tensor.BFloat16, Shape: sh(2), Data: []uint16{0x4049, 0xbf80}}),
			want: ts(f32(sh(2), 3.140625, -1))},
		{name: "missing to", op: "Cast", in: ts(seq(1)), err: "to is required"},
		{name: "castlike", op: "CastLike", in: ts(f32(sh(2), 1.5, -1.5), half()), want: ts(half(0x3e00, 0xbe00))},
	})
}

// TestHalfRoundTrip checks every finite half value survives a round trip and
// that values halfway between neighbours round to the even one.
func TestHalfRoundTrip(t *testing.T) {
	for h := 0; h < 0x10000; h++ {
		b := uint16(h)
		if b&0x7c00 == 0x7c00 && b&0x3ff != 0 {
			f := tensor.HalfToFloat32(b)
			if f == f {
				t.Fatalf("half %#04x: want NaN, got %v", b, f)
			}
			if g := tensor.HalfFromFloat64(float64(f)); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#04x became %#04x", b, g)
			}
			continue
		}
		f := tensor.HalfToFloat32(b)
		if g := tensor.HalfFromFloat64(float64(f)); g != b {
			t.Fatalf("half %#04x -> %v -> %#04x", b, f, g)
		}
	}
	// The largest finite half, 65504, is followed by "65536" for rounding.
	if g := tensor.HalfFromFloat64(math.Nextafter(65520, 0)); g != 0x7bff {
		t.Errorf("just below 65520: got %#04x, want 0x7bff", g)
	}
	if g := tensor.HalfFromFloat64(65520); g != 0x7c00 {
		t.Errorf("65520: got %#04x, want 0x7c00 (infinity)", g)
	}
	for b := uint16(0); b < 0x7bff; b++ {
		lo := float64(tensor.HalfToFloat32(b))
		hi := float64(tensor.HalfToFloat32(b + 1))
		mid := (lo + hi) / 2
		want := b
		if b&1 == 1 {
			want = b + 1
		}
		if g := tensor.HalfFromFloat64(mid); g != want {
			t.Fatalf("midpoint of %#04x and %#04x: got %#04x, want %#04x", b, b+1, g, want)
		}
		if g := tensor.HalfFromFloat64(math.Nextafter(mid, hi)); g != b+1 {
			t.Fatalf("just above midpoint of %#04x: got %#04x", b, g)
		}
		if g := tensor.HalfFromFloat64(math.Nextafter(mid, lo)); g != b {
			t.Fatalf("just below midpoint of %#04x: got %#04x", b, g)
		}
		if g := tensor.HalfFromFloat64(-mid); g != want|0x8000 {
			t.Fatalf("negative midpoint of %#04x: got %#04x", b, g)
		}
	}
}
