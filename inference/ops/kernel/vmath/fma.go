package vmath

import "math"

// fma32 returns a·b + c rounded once to float32, as the FMA instructions
// compute it.
//
// float32(math.FMA(a, b, c)) would round twice (to float64, then to
// float32) and can miss a tie. The product a·b is exact in float64 (24+24
// bits), so the sum s = a·b + c rounded to float64 is what math.FMA gives.
// Rounding s to float32 is correct unless s landed on a float32 midpoint
// (rounding is monotonic, so the exact value and s are on the same side of
// any other midpoint). That is rare: only then, and for float32 subnormal
// results (whose midpoints are elsewhere), the rounding error err of s is
// computed exactly (TwoSum), and when it is not zero s is replaced by the
// neighbour with an odd last bit on the side of the exact value (round to
// odd), which makes the final rounding to float32 correct: float64 has more
// than 24+1 bits.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	s := p + float64(c)
	// A possible midpoint (the float64 bits below a normal float32's last
	// bit are 100…0) or |s| < 2^-126:
	const low, minNormal = 1<<29 - 1, (1023 - 126) << 53
	if u := math.Float64bits(s); u&low == 1<<28 || u<<1 < minNormal {
		bb := s - p
		// Step one float64 ulp towards the exact value (s is not zero:
		// p and c are multiples of 2^-298, so a zero s is exact).
		if err := (p - (s - bb)) + (float64(c) - bb); err != 0 && u&1 == 0 {
			if (err > 0) == (s > 0) {
				u++
			} else {
				u--
			}
			s = math.Float64frombits(u)
		}
	}
	return float32(s)
}
