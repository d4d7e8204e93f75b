package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/inference/ops/kernel/vmath"
)

// refApply is Epilogue.Apply as it was before the row kernels: the Add in
// one loop, then the activation in another. The tests compare every path
// against it bit for bit.
func refApply(e *Epilogue, dst, res []float32, j0 int) {
	if res != nil {
		res = res[:len(dst)]
		for i, v := range res {
			dst[i] += v
		}
	} else if b := e.Bias; b != nil {
		j := j0 % len(b)
		for i := range dst {
			dst[i] += b[j]
			if j++; j == len(b) {
				j = 0
			}
		}
	}
	switch e.Act {
	case ActRelu:
		for i, v := range dst {
			if v < 0 {
				dst[i] = 0
			}
		}
	case ActClip:
		for i, v := range dst {
			if e.HasLo && v < e.Lo {
				v = e.Lo
			}
			if e.HasHi && v > e.Hi {
				v = e.Hi
			}
			dst[i] = v
		}
	case ActSiLU:
		vmath.SiLU(dst, dst)
	}
}

// refConvPost is the convolution's tile post before AddApply: the row bias
// in one loop, then Apply when there is an epilogue.
func refConvPost(e *Epilogue, row, res []float32, j0 int, bv float32) {
	for j := range row {
		row[j] += bv
	}
	if e != nil {
		refApply(e, row, res, j0)
	}
}

// specialValues are the inputs where a reordered or vectorised sum or
// comparison would show: signed zeros, infinities, NaNs with different
// payloads and signs (signalling and quiet), subnormals, the largest
// finite values, and values next to the clip bounds used below.
var specialValues = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 6, -6, 0.5, -0.5,
	float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00000),
	math.Float32frombits(0x7fc01234), math.Float32frombits(0xffc04321),
	math.Float32frombits(0x7f800001), math.Float32frombits(0xff800123),
	math.Float32frombits(0x00000001), math.Float32frombits(0x80000001),
	math.MaxFloat32, -math.MaxFloat32, math.Nextafter32(6, 7), math.Nextafter32(6, 5),
	math.Float32frombits(0x3f800001), 1e-40, -1e-40,
}

// randomRow returns n values, about a third of them special.
func randomRow(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch r.IntN(6) {
		case 0, 1:
			v[i] = specialValues[r.IntN(len(specialValues))]
		case 2:
			v[i] = math.Float32frombits(r.Uint32())
		default:
			v[i] = float32(r.NormFloat64() * 4)
		}
	}
	return v
}

// testISAs are the instruction sets this machine can run, the portable Go
// path first.
func testISAs() []isa {
	p := []isa{isaGo}
	if useAVX2 {
		p = append(p, isaAVX2)
	}
	if useAVX512 {
		p = append(p, isaAVX512)
	}
	return p
}

func (p isa) String() string {
	return [...]string{"Go", "AVX2", "AVX512"}[p]
}

// epilogueCases are every epilogue the kernels fuse: each activation with
// and without a residual or a bias vector (of a length that divides the row
// and one that does not), and Clip with each bound optional, including a
// NaN bound and signed-zero bounds.
func epilogueCases() []struct {
	name string
	e    Epilogue
} {
	nan := math.Float32frombits(0x7fc00000)
	negZero := float32(math.Copysign(0, -1))
	acts := []struct {
		name string
		e    Epilogue
	}{
		{"none", Epilogue{}},
		{"relu", Epilogue{Act: ActRelu}},
		{"silu", Epilogue{Act: ActSiLU}},
		{"clip0,6", Epilogue{Act: ActClip, Lo: 0, Hi: 6, HasLo: true, HasHi: true}},
		{"clip-0,-0", Epilogue{Act: ActClip, Lo: negZero, Hi: negZero, HasLo: true, HasHi: true}},
		{"clip0,0", Epilogue{Act: ActClip, Lo: 0, Hi: 0, HasLo: true, HasHi: true}},
		{"clipLo", Epilogue{Act: ActClip, Lo: -0.5, HasLo: true}},
		{"clipHi", Epilogue{Act: ActClip, Hi: 0.5, HasHi: true}},
		{"clipNone", Epilogue{Act: ActClip}},
		{"clipNaN", Epilogue{Act: ActClip, Lo: nan, Hi: nan, HasLo: true, HasHi: true}},
		{"clipInf", Epilogue{Act: ActClip, Lo: float32(math.Inf(1)), Hi: float32(math.Inf(-1)), HasLo: true, HasHi: true}},
	}
	var out []struct {
		name string
		e    Epilogue
	}
	for _, a := range acts {
		for _, add := range []string{"", "res", "bias7", "bias16"} {
			e := a.e
			switch add {
			case "res":
				e.Residual = true
			case "bias7":
				e.Bias = randomRow(rand.New(rand.NewPCG(7, 7)), 7)
			case "bias16":
				e.Bias = randomRow(rand.New(rand.NewPCG(16, 16)), 16)
			}
			out = append(out, struct {
				name string
				e    Epilogue
			}{a.name + "/" + add, e})
		}
	}
	return out
}

// sameBits reports the first index where got and want differ in their bits.
func sameBits(got, want []float32) (int, bool) {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestApplyMatchesReference checks Apply and AddApply on every path against
// the two-loop code they replace, bit for bit: rows of every length 0..70
// at several column offsets (the bias vector's phase) and memory
// alignments, with special values in the row, the residual, the bias and
// the scalar bias, and checks that nothing past the row is written.
func TestApplyMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const pad = 5
	for _, p := range testISAs() {
		for _, c := range epilogueCases() {
			t.Run(fmt.Sprintf("%v/%s", p, c.name), func(t *testing.T) {
				for n := 0; n <= 70; n++ {
					for _, j0 := range []int{0, 3, 16, 21} {
						off := r.IntN(4)
						buf := randomRow(r, off+n+pad)
						var res []float32
						if c.e.Residual {
							res = randomRow(r, n+r.IntN(3))
						}
						bv := specialValues[r.IntN(len(specialValues))]
						if r.IntN(2) == 0 {
							bv = float32(r.NormFloat64())
						}
						type variant struct {
							name string
							run  func(dst []float32)
							ref  func(dst []float32)
						}
						e := c.e
						for _, v := range []variant{
							{"Apply", func(d []float32) { e.apply(p, d, res, j0, 0, false) }, func(d []float32) { refApply(&e, d, res, j0) }},
							{"AddApply", func(d []float32) { e.apply(p, d, res, j0, bv, true) }, func(d []float32) { refConvPost(&e, d, res, j0, bv) }},
							{"AddApplyNil", func(d []float32) { (*Epilogue)(nil).apply(p, d, nil, j0, bv, true) }, func(d []float32) { refConvPost(nil, d, nil, j0, bv) }},
						} {
							got := append([]float32(nil), buf...)
							want := append([]float32(nil), buf...)
							v.run(got[off : off+n])
							v.ref(want[off : off+n])
							if i, ok := sameBits(got, want); !ok {
								t.Fatalf("%s n=%d j0=%d off=%d bias=%#x: element %d is %#x, want %#x (row %#x, res %v)",
									v.name, n, j0, off, math.Float32bits(bv), i-off, math.Float32bits(got[i]), math.Float32bits(want[i]),
									math.Float32bits(buf[i]), res)
							}
						}
					}
				}
			})
		}
	}
}

// TestAddClampNaNOperands pins down which NaN a sum of two NaNs keeps (the
// row's, as the Go loops do) on every path, for every length up to 40.
func TestAddClampNaNOperands(t *testing.T) {
	a := math.Float32frombits(0x7fc00001)
	b := math.Float32frombits(0xffc00002)
	c := math.Float32frombits(0x7fc00003)
	for _, p := range testISAs() {
		for n := 0; n <= 40; n++ {
			row := make([]float32, n)
			add := make([]float32, n)
			for i := range row {
				row[i], add[i] = a, c
			}
			want := append([]float32(nil), row...)
			refConvPost(&Epilogue{Act: ActRelu}, want, add, 0, b)
			e := Epilogue{Act: ActRelu, Residual: true}
			e.apply(p, row, add, 0, b, true)
			if i, ok := sameBits(row, want); !ok {
				t.Fatalf("%v n=%d: element %d is %#x, want %#x", p, n, i, math.Float32bits(row[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// BenchmarkEpilogue times the old two-loop code against each path on a
// row of a convolution's output (56·56 columns), for the combinations the
// models use.
func BenchmarkEpilogue(b *testing.B) {
	const n = 56 * 56
	r := rand.New(rand.NewPCG(5, 6))
	row := randomRow(r, n)
	for i := range row {
		row[i] = float32(r.NormFloat64())
	}
	res := append([]float32(nil), row...)
	cases := []struct {
		name string
		e    *Epilogue
		res  []float32
	}{
		{"bias", nil, nil},
		{"bias+relu", &Epilogue{Act: ActRelu}, nil},
		{"bias+res+relu", &Epilogue{Act: ActRelu, Residual: true}, res},
		{"bias+clip", &Epilogue{Act: ActClip, Lo: 0, Hi: 6, HasLo: true, HasHi: true}, nil},
	}
	for _, c := range cases {
		b.Run(c.name+"/old", func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				refConvPost(c.e, row, c.res, 0, 1e-30)
			}
		})
		for _, p := range testISAs() {
			b.Run(fmt.Sprintf("%s/%v", c.name, p), func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					c.e.apply(p, row, c.res, 0, 1e-30, true)
				}
			})
		}
	}
}
