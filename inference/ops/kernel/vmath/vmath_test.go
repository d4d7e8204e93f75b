package vmath

import (
	"math"
	"testing"
)

// TestSpecialValues checks exact results at the edges, on the path this
// machine uses and on the Go path.
func TestSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		vec  func(dst, src []float32)
		f    func(float32) float32
		x    float32
		want float32
	}{
		{"Exp(0)", Exp, expf, 0, 1},
		{"Exp(-0)", Exp, expf, negZero, 1},
		{"Exp(+Inf)", Exp, expf, inf, inf},
		{"Exp(-Inf)", Exp, expf, -inf, 0},
		{"Exp(89)", Exp, expf, 89, inf},
		{"Exp(-104)", Exp, expf, -104, 0},
		{"Exp(-103)", Exp, expf, -103, float32(math.Exp(-103))},
		{"Exp(1)", Exp, expf, 1, float32(math.E)},
		{"Sigmoid(0)", Sigmoid, sigmoidf, 0, 0.5},
		{"Sigmoid(-0)", Sigmoid, sigmoidf, negZero, 0.5},
		{"Sigmoid(+Inf)", Sigmoid, sigmoidf, inf, 1},
		{"Sigmoid(-Inf)", Sigmoid, sigmoidf, -inf, 0},
		{"SiLU(0)", SiLU, siluf, 0, 0},
		{"SiLU(+Inf)", SiLU, siluf, inf, inf},
		{"Tanh(0)", Tanh, tanhf, 0, 0},
		{"Tanh(-0)", Tanh, tanhf, negZero, negZero},
		{"Tanh(+Inf)", Tanh, tanhf, inf, 1},
		{"Tanh(-Inf)", Tanh, tanhf, -inf, -1},
		{"Tanh(1e-30)", Tanh, tanhf, 1e-30, 1e-30},
		{"Erf(0)", Erf, erff, 0, 0},
		{"Erf(-0)", Erf, erff, negZero, negZero},
		{"Erf(+Inf)", Erf, erff, inf, 1},
		{"Erf(-Inf)", Erf, erff, -inf, -1},
		{"Erf(1e-30)", Erf, erff, 1e-30, float32(math.Erf(1e-30))},
		{"Exp(NaN)", Exp, expf, nan, nan},
		{"Erf(-NaN)", Erf, erff, -nan, -nan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got [1]float32
			c.vec(got[:], []float32{c.x})
			goPath := c.f(c.x)
			for _, g := range []float32{got[0], goPath} {
				if math.Float32bits(g) != math.Float32bits(c.want) {
					t.Errorf("got %g (%#x), want %g (%#x)", g, math.Float32bits(g), c.want, math.Float32bits(c.want))
				}
			}
		})
	}
}

// TestNaNPayload checks that a signalling NaN comes back quiet with its
// payload and sign.
func TestNaNPayload(t *testing.T) {
	for _, b := range []uint32{0x7f800001, 0xff812345, 0x7fc00000, 0xffffffff} {
		x := math.Float32frombits(b)
		src := []float32{x, 1, x}
		dst := make([]float32, 3)
		for _, f := range []func(dst, src []float32){Exp, Sigmoid, SiLU, Tanh, Erf} {
			f(dst, src)
			if got := math.Float32bits(dst[0]); got != b|quietNaN {
				t.Errorf("%#x: got %#x, want %#x", b, got, b|quietNaN)
			}
		}
	}
}
