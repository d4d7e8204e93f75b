package vmath

import "math"

// fma32 returns a·b + c rounded once to float32, as the FMA instructions
// compute it.
//
// float32(math.FMA(a, b, c)) would round twice (to float64, then to
// float32) and can miss a tie. The product a·b is exact in float64 (24+24
// bits), so the sum s = a·b + c and its rounding error err are exact
// (TwoSum). When err is not zero, s is replaced by the neighbour with an odd
// last bit on the side of the exact value (round to odd), which makes the
// final rounding to float32 correct: float64 has more than 24+1 bits.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	s := p + float64(c)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	bb := s - p
	err := (p - (s - bb)) + (float64(c) - bb)
	if bits := math.Float64bits(s); err != 0 && bits&1 == 0 {
		// Step one float64 ulp towards the exact value (s is not zero:
		// p and c are multiples of 2^-298, so a zero s is exact).
		if (err > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}
