package mathops

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel/vmath"
	"github.com/papdl/papdl/inference/tensor"
)

func TestBroadcastShape(t *testing.T) {
	cases := []struct {
		a, b, want []int
		err        bool
	}{
		{sh(), sh(), sh(), false},
		{sh(2, 3), sh(), sh(2, 3), false},
		{sh(), sh(4), sh(4), false},
		{sh(2, 1, 4), sh(3, 1), sh(2, 3, 4), false},
		{sh(1), sh(0), sh(0), false},
		{sh(2, 0), sh(1, 1), sh(2, 0), false},
		{sh(5, 1, 3), sh(2, 1), sh(5, 2, 3), false},
		{sh(2, 3), sh(3, 2), nil, true},
		{sh(2), sh(0), nil, true},
	}
	for _, c := range cases {
		t.Run(fmtShape(c.a)+"x"+fmtShape(c.b), func(t *testing.T) {
			got, err := broadcastShape(c.a, c.b)
			if c.err {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func fmtShape(s []int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, d := range s {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteString("]")
	return b.String()
}

// naiveBroadcast computes f over the broadcast of a and b by explicit index
// arithmetic, independent of the merged-dimension plan.
func naiveBroadcast(a []float64, as []int, b []float64, bs []int, f func(x, y float64) float64) ([]float64, []int) {
	out, err := broadcastShape(as, bs)
	if err != nil {
		panic(err)
	}
	n := tensor.NumElements(out)
	res := make([]float64, n)
	idx := make([]int, len(out))
	for i := 0; i < n; i++ {
		rem := i
		for d := len(out) - 1; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		off := func(s []int) int {
			o := 0
			for k, d := range s {
				j := idx[len(out)-len(s)+k]
				if d == 1 {
					j = 0
				}
				o = o*d + j
			}
			return o
		}
		res[i] = f(a[off(as)], b[off(bs)])
	}
	return res, out
}

// randomPair returns two broadcast-compatible shapes.
func randomPair(rng *rand.Rand) ([]int, []int) {
	r := rng.Intn(5)
	out := make([]int, r)
	for i := range out {
		out[i] = []int{0, 1, 2, 3, 5}[rng.Intn(5)]
		if out[i] == 0 && rng.Intn(3) > 0 {
			out[i] = 4
		}
	}
	pick := func() []int {
		k := rng.Intn(r + 1)
		s := append([]int{}, out[r-k:]...)
		for i := range s {
			if rng.Intn(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	return pick(), pick()
}

func TestBroadcastRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	ops := []struct {
		name string
		ref  func(x, y float64) float64
	}{
		{"Add", func(x, y float64) float64 { return x + y }},
		{"Sub", func(x, y float64) float64 { return x - y }},
		{"Mul", func(x, y float64) float64 { return x * y }},
		{"Div", func(x, y float64) float64 { return x / y }},
		{"Max", math.Max},
		{"Min", math.Min},
		{"Pow", math.Pow},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			for iter := 0; iter < 300; iter++ {
				as, bs := randomPair(rng)
				a := make([]float64, tensor.NumElements(as))
				b := make([]float64, tensor.NumElements(bs))
				for i := range a {
					a[i] = rng.Float64()*4 + 0.5
				}
				for i := range b {
					b[i] = rng.Float64()*4 - 2
				}
				want, ws := naiveBroadcast(a, as, b, bs, op.ref)
				got := mustRun(t, op.name, 14, nil, f64(as, a...), f64(bs, b...))
				wantTensor(t, got, f64(ws, want...), 0)
				// The same through int64 for the integer kernels.
				if op.name == "Pow" || op.name == "Div" {
					continue
				}
				ai := widen[float64, int64](a)
				bi := widen[float64, int64](b)
				wi, _ := naiveBroadcast(widen[int64, float64](ai), as, widen[int64, float64](bi), bs, op.ref)
				goti := mustRun(t, op.name, 14, nil, i64(as, ai...), i64(bs, bi...))
				wantTensor(t, goti, i64(ws, widen[float64, int64](wi)...), 0)
			}
		})
	}
}

func TestBinaryHandCases(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name  string
		op    string
		opset int64
		attrs []onnx.Attribute
		a, b  *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"add_same", "Add", 14, nil, f32(sh(2, 2), 1, 2, 3, 4), f32(sh(2, 2), 10, 20, 30, 40), f32(sh(2, 2), 11, 22, 33, 44)},
		{"add_scalar_left", "Add", 14, nil, f32(sh(), 1), f32(sh(3), 1, 2, 3), f32(sh(3), 2, 3, 4)},
		{"sub_row_col", "Sub", 14, nil, f32(sh(2, 1), 10, 20), f32(sh(3), 1, 2, 3), f32(sh(2, 3), 9, 8, 7, 19, 18, 17)},
		{"sub_zero_size", "Sub", 14, nil, f32(sh(0, 3)), f32(sh(3), 1, 2, 3), f32(sh(0, 3))},
		{"mul_channel", "Mul", 14, nil, f32(sh(1, 2, 2), 1, 2, 3, 4), f32(sh(2, 1), 10, 100), f32(sh(1, 2, 2), 10, 20, 300, 400)},
		{"div_int_truncates", "Div", 14, nil, i32(sh(4), 7, -7, 7, -7), i32(sh(4), 2, 2, -2, -2), i32(sh(4), 3, -3, -3, 3)},
		{"div_uint8", "Div", 14, nil, tensor.MustFromSlice([]uint8{200, 7}, 2), tensor.MustFromSlice([]uint8{3, 7}, 2), tensor.MustFromSlice([]uint8{66, 1}, 2)},
		{"add_int8_wraps", "Add", 14, nil, tensor.MustFromSlice([]int8{127}, 1), tensor.MustFromSlice([]int8{1}, 1), tensor.MustFromSlice([]int8{-128}, 1)},
		{"max_nan", "Max", 13, nil, f32(sh(3), 1, nan, 3), f32(sh(3), nan, 2, 1), f32(sh(3), nan, nan, 3)},
		{"min_bcast", "Min", 13, nil, i64(sh(2, 2), 1, 5, 3, 7), i64(sh(), 4), i64(sh(2, 2), 1, 4, 3, 4)},
		{"mod_python", "Mod", 13, nil, i32(sh(4), 7, -7, 7, -7), i32(sh(4), 3, 3, -3, -3), i32(sh(4), 1, 2, -2, -1)},
		{"mod_fmod", "Mod", 13, []onnx.Attribute{iattr("fmod", 1)}, f32(sh(4), 7, -7, 7, -7), f32(sh(4), 3, 3, -3, -3), f32(sh(4), 1, -1, 1, -1)},
		{"mod_fmod_int", "Mod", 13, []onnx.Attribute{iattr("fmod", 1)}, i64(sh(4), 7, -7, 7, -7), i64(sh(4), 3, 3, -3, -3), i64(sh(4), 1, -1, 1, -1)},
		{"pow_float_int", "Pow", 15, nil, f32(sh(3), 2, -3, 0.5), i64(sh(3), 3, 2, -1), f32(sh(3), 8, 9, 2)},
		{"pow_int_int", "Pow", 15, nil, i32(sh(5), 2, -3, 2, 1, -1), i32(sh(5), 10, 3, -1, -5, -3), i32(sh(5), 1024, -27, 0, 1, -1)},
		{"pow_int_float", "Pow", 15, nil, i64(sh(3), 2, 9, 10), f32(sh(3), 0.5, 0.5, 1.5), i64(sh(3), 1, 3, 31)},
		{"pow_bcast_scalar", "Pow", 15, nil, f64(sh(3), 1, 2, 3), f64(sh(), 2), f64(sh(3), 1, 4, 9)},
		{"legacy_axis", "Add", 6, []onnx.Attribute{iattr("broadcast", 1), iattr("axis", 1)},
			f32(sh(2, 3, 2), 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1), f32(sh(3), 1, 2, 3),
			f32(sh(2, 3, 2), 1, 1, 2, 2, 3, 3, 2, 2, 3, 3, 4, 4)},
		{"legacy_suffix", "Mul", 6, []onnx.Attribute{iattr("broadcast", 1)}, f32(sh(2, 2), 1, 2, 3, 4), f32(sh(2), 10, 100), f32(sh(2, 2), 10, 200, 30, 400)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustRun(t, c.op, c.opset, c.attrs, c.a, c.b)
			wantTensor(t, got, c.want, 1e-7)
		})
	}
}

func TestBinaryErrors(t *testing.T) {
	cases := []struct {
		name   string
		op     string
		opset  int64
		attrs  []onnx.Attribute
		inputs []*tensor.Tensor
		msg    string
	}{
		{"dtype_mismatch", "Add", 14, nil, []*tensor.Tensor{f32(sh(1), 1), f64(sh(1), 1)}, "input 1 is float64"},
		{"bad_shapes", "Mul", 14, nil, []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(3), 1, 2, 3)}, "cannot be broadcast"},
		{"missing", "Sub", 14, nil, []*tensor.Tensor{f32(sh(1), 1)}, "input 1 (B)"},
		{"int_div_zero", "Div", 14, nil, []*tensor.Tensor{i32(sh(2), 1, 2), i32(sh(2), 1, 0)}, "by zero"},
		{"int_mod_zero", "Mod", 13, nil, []*tensor.Tensor{i64(sh(1), 1), i64(sh(), 0)}, "by zero"},
		{"float_mod_needs_fmod", "Mod", 13, nil, []*tensor.Tensor{f32(sh(1), 1), f32(sh(1), 2)}, "fmod"},
		{"legacy_no_broadcast", "Add", 6, nil, []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(1), 1)}, "broadcast is 0"},
		{"bool", "Add", 14, nil, []*tensor.Tensor{tensor.MustFromSlice([]bool{true}, 1), tensor.MustFromSlice([]bool{true}, 1)}, "bool"},
		{"prelu_slope_too_big", "PRelu", 16, nil, []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(2, 2), 1, 2, 3, 4)}, "slope"},
		{"sum_dtype", "Sum", 13, nil, []*tensor.Tensor{f32(sh(1), 1), f32(sh(1), 1), i32(sh(1), 1)}, "input 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, c.op, c.opset, c.attrs, c.inputs...)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
		})
	}
}

func TestVariadic(t *testing.T) {
	cases := []struct {
		name   string
		op     string
		inputs []*tensor.Tensor
		want   *tensor.Tensor
	}{
		{"sum_one", "Sum", []*tensor.Tensor{f32(sh(2), 1, 2)}, f32(sh(2), 1, 2)},
		{"sum_three_bcast", "Sum", []*tensor.Tensor{f32(sh(2, 1), 1, 2), f32(sh(3), 10, 20, 30), f32(sh(), 100)},
			f32(sh(2, 3), 111, 121, 131, 112, 122, 132)},
		{"mean_three", "Mean", []*tensor.Tensor{f32(sh(2), 1, 2), f32(sh(2), 3, 4), f32(sh(2), 5, 9)}, f32(sh(2), 3, 5)},
		{"max_three", "Max", []*tensor.Tensor{i32(sh(3), 1, 9, 3), i32(sh(3), 4, 2, 6), i32(sh(1), 5)}, i32(sh(3), 5, 9, 6)},
		{"min_uint", "Min", []*tensor.Tensor{tensor.MustFromSlice([]uint64{1 << 63, 3}, 2), tensor.MustFromSlice([]uint64{1<<63 + 1, 2}, 2)},
			tensor.MustFromSlice([]uint64{1 << 63, 2}, 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustRun(t, c.op, 13, nil, c.inputs...)
			wantTensor(t, got, c.want, 1e-7)
			if len(c.inputs) == 1 && &got.Data.([]float32)[0] == &c.inputs[0].Data.([]float32)[0] {
				t.Fatal("one-input result aliases its input")
			}
		})
	}
}

func TestPRelu(t *testing.T) {
	x := f32(sh(2, 3), -1, 2, -3, 4, -5, 6)
	cases := []struct {
		name  string
		slope *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"scalar", f32(sh(), 0.5), f32(sh(2, 3), -0.5, 2, -1.5, 4, -2.5, 6)},
		{"per_column", f32(sh(3), 1, 2, 3), f32(sh(2, 3), -1, 2, -9, 4, -10, 6)},
		{"per_row", f32(sh(2, 1), 0, 10), f32(sh(2, 3), 0, 2, 0, 4, -50, 6)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, "PRelu", 16, nil, x, c.slope), c.want, 1e-7)
		})
	}
}

func TestHalf(t *testing.T) {
	t.Run("round_trip_all", func(t *testing.T) {
		for h := 0; h < 1<<16; h++ {
			f := tensor.HalfToFloat32(uint16(h))
			back := tensor.HalfFromFloat64(float64(f))
			if f != f {
				if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
					t.Fatalf("NaN %#04x came back as %#04x", h, back)
				}
				continue
			}
			if back != uint16(h) {
				t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
			}
		}
	})
	cases := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},
		{65519, 0x7bff},                          // rounds down below the halfway point
		{65520, 0x7c00},                          // halfway to the next binade: rounds to Inf
		{1 + 1.0/2048, 0x3c00},                   // tie, even stays
		{1 + 3.0/2048, 0x3c02},                   // tie, odd rounds up
		{float32(math.Ldexp(1, -24)), 0x0001},    // smallest subnormal
		{float32(math.Ldexp(1, -25)), 0x0000},    // tie with zero: even
		{float32(math.Ldexp(1.5, -25)), 0x0001},  // above the tie
		{float32(math.Ldexp(1023, -24)), 0x03ff}, // largest subnormal
		{float32(math.Ldexp(2047, -25)), 0x0400}, // rounds up into the normals
		{float32(math.Inf(-1)), 0xfc00},
	}
	for _, c := range cases {
		t.Run(strconv.FormatFloat(float64(c.in), 'g', -1, 32), func(t *testing.T) {
			if got := tensor.HalfFromFloat64(float64(c.in)); got != c.want {
				t.Fatalf("tensor.HalfFromFloat64(float64(%v)) = %#04x, want %#04x", c.in, got, c.want)
			}
		})
	}
	t.Run("max_float16", func(t *testing.T) {
		a, _ := tensor.FromFloat16Bits([]uint16{0x3c00, 0xc000, 0x7e00}, 3) // 1, -2, NaN
		b, _ := tensor.FromFloat16Bits([]uint16{0x4000, 0xbc00, 0x3c00}, 3) // 2, -1, 1
		got := mustRun(t, "Max", 13, nil, a, b)
		if got.DType != tensor.Float16 {
			t.Fatalf("dtype %s", got.DType)
		}
		bits := got.Data.([]uint16)
		if bits[0] != 0x4000 || bits[1] != 0xbc00 || bits[2]&0x7c00 != 0x7c00 || bits[2]&0x3ff == 0 {
			t.Fatalf("got %#04x", bits)
		}
	})
}

// TestSplitLargeBroadcast checks the element-wise operators on tensors large
// enough to be split across goroutines against a naive loop, for equal
// shapes, a scalar, a per-channel and an inner-axis broadcast.
func TestSplitLargeBroadcast(t *testing.T) {
	fill := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i%97) - 48.5
		}
		return x
	}
	const n, c, h, w = 2, 8, 70, 90
	a := fill(n, c, h, w)
	for _, bs := range [][]int{{n, c, h, w}, {1}, {1, c, 1, 1}, {w}, {n, 1, h, 1}} {
		b := fill(bs...)
		got := mustRun(t, "Mul", 13, nil, a, b).Float32s()
		for i := range got {
			idx := []int{i / (c * h * w), i / (h * w) % c, i / w % h, i % w}
			off := 0
			for d, sz := range bs {
				k := idx[len(idx)-len(bs)+d]
				if sz == 1 {
					k = 0
				}
				off = off*sz + k
			}
			if want := a.Float32s()[i] * b.Float32s()[off]; got[i] != want {
				t.Fatalf("b %v: element %d = %v, want %v", bs, i, got[i], want)
			}
		}
	}
	e := mustRun(t, "Sigmoid", 13, nil, a).Float32s()
	r := mustRun(t, "Relu", 13, nil, a).Float32s()
	// Float32 Sigmoid is vmath.Sigmoid: the split run must give the bits
	// of one call on the whole tensor.
	sig := make([]float32, a.Len())
	vmath.Sigmoid(sig, a.Float32s())
	for i, x := range a.Float32s() {
		if want := sig[i]; e[i] != want {
			t.Fatalf("Sigmoid element %d = %v, want %v", i, e[i], want)
		}
		if want := max(x, 0); r[i] != want {
			t.Fatalf("Relu element %d = %v, want %v", i, r[i], want)
		}
	}
}
