package vmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fmaExact is a·b + c rounded once to float32, computed with big.Float.
func fmaExact(a, b, c float32) float32 {
	for _, v := range []float32{a, b, c} {
		if math.IsInf(float64(v), 0) || v != v {
			return float32(float64(a)*float64(b) + float64(c)) // IEEE specials
		}
	}
	const prec = 1000
	p := new(big.Float).SetPrec(prec).SetFloat64(float64(a))
	p.Mul(p, new(big.Float).SetPrec(prec).SetFloat64(float64(b)))
	p.Add(p, new(big.Float).SetPrec(prec).SetFloat64(float64(c)))
	if p.Sign() == 0 {
		// Exact zero: IEEE gives +0 unless both terms are -0 (or cancel
		// with a negative product of zeros).
		return float32(float64(a)*float64(b) + float64(c))
	}
	f, _ := p.Float32()
	return f
}

// midpointCases are the double-rounding traps: a·b + c just below or above
// the midpoint of two float32 values, by less than a float64 ulp, so that a
// sum rounded to float64 lands on the midpoint.
func midpointCases(r *rand.Rand, n int) [][3]float32 {
	var out [][3]float32
	for range n {
		// x in [1, 2)·2^e; ulp(x)/2 = 2^(e-24).
		e := r.IntN(200) - 100
		x := float32(math.Ldexp(1+float64(r.Uint32()>>9)/(1<<23), e))
		k := float32(math.Ldexp(1, -23))
		half := float32(math.Ldexp(1, e-24))
		for _, ab := range [][2]float32{
			{half * (1 + k), 1 - k}, // ulp/2 − tiny
			{half * (1 + k), 1 + k}, // ulp/2 + tiny (not a trap, a check)
			{half * (1 - k/2), 1 + k},
		} {
			for _, s := range []float32{1, -1} {
				out = append(out, [3]float32{s * ab[0], ab[1], s * x}, [3]float32{s * ab[0], -ab[1], s * x})
			}
		}
	}
	return out
}

func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := [][3]float32{
		{0, 0, 0}, {float32(math.Copysign(0, -1)), 0, 0}, {1, 1, -1}, {float32(math.Copysign(0, -1)), 1, float32(math.Copysign(0, -1))},
		{math.MaxFloat32, 2, -math.MaxFloat32}, {math.SmallestNonzeroFloat32, 0.5, 0},
		{math.SmallestNonzeroFloat32, 1.5, 0}, {math.SmallestNonzeroFloat32, -0.5, 0},
		{float32(math.Inf(1)), 0, 1}, {float32(math.NaN()), 1, 1}, {float32(math.Inf(1)), 1, float32(math.Inf(-1))},
		{1e20, 1e20, 1}, {1e-30, 1e-30, 1e-45},
	}
	cases = append(cases, midpointCases(r, 100000)...)
	for range 1000000 {
		a, b := math.Float32frombits(r.Uint32()), math.Float32frombits(r.Uint32())
		cases = append(cases, [3]float32{a, b, math.Float32frombits(r.Uint32())})
		// A c that cancels most of a·b.
		cases = append(cases, [3]float32{a, b, -float32(float64(a) * float64(b) * (1 + float64(r.IntN(16))/(1<<20)))})
		// Small operands, so that products and sums fall in the subnormals.
		s := math.Float32frombits(r.Uint32() & 0x0fffffff)
		cases = append(cases, [3]float32{s, math.Float32frombits(r.Uint32()&0x3fffffff | 0x3f000000), math.Float32frombits(r.Uint32() & 0x80ffffff)})
	}
	bad := 0
	for _, c := range cases {
		got, want := fma32(c[0], c[1], c[2]), fmaExact(c[0], c[1], c[2])
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			if bad++; bad <= 10 {
				t.Errorf("fma32(%g, %g, %g) = %g (%#x), want %g (%#x)", c[0], c[1], c[2], got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases wrong", bad, len(cases))
	}
	// The double-rounding traps must be real: the naive float64 FMA gets
	// some of them wrong.
	naiveWrong := 0
	for _, c := range midpointCases(r, 1000) {
		if float32(math.FMA(float64(c[0]), float64(c[1]), float64(c[2]))) != fmaExact(c[0], c[1], c[2]) {
			naiveWrong++
		}
	}
	if naiveWrong == 0 {
		t.Error("midpointCases has no double-rounding trap")
	}
}
