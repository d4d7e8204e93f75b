package tensor

import "math"

// HalfToFloat32 converts IEEE 754 binary16 bits to float32 (exactly).
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		// Inf or NaN; keep the payload (quiet bit included).
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
	// Zero or subnormal: mant * 2^-24, exact in float32.
	v := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// HalfFromFloat64 rounds f to the nearest IEEE 754 binary16 value (ties to
// even), producing subnormals, signed zeros, infinities on overflow and a
// quiet NaN for NaN. A float32 converts exactly to float64 first, so this
// also rounds float32 values once.
func HalfFromFloat64(f float64) uint16 {
	b := math.Float64bits(f)
	sign := uint16(b>>48) & 0x8000
	exp := int(b>>52) & 0x7ff
	mant := b & (1<<52 - 1)
	if exp == 0x7ff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>42)
		}
		return sign | 0x7c00
	}
	e := exp - 1023 + 15 // biased half exponent
	if e >= 31 {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal (or underflow to zero). The value is m * 2^(exp-1075)
		// with m the 53-bit significand; in units of 2^-24 that is m >>
		// (43 - e).
		if e < -10 || exp == 0 {
			return sign // below half of the smallest subnormal (or float64 subnormal)
		}
		return sign | uint16(roundShift(mant|1<<52, uint(43-e)))
	}
	h := uint64(e)<<10 | mant>>42
	rem := mant & (1<<42 - 1)
	const halfway = 1 << 41
	if rem > halfway || (rem == halfway && h&1 == 1) {
		h++ // may carry into the exponent, up to infinity: that is correct
	}
	return sign | uint16(h)
}

// roundShift returns m >> s rounded to nearest, ties to even (1 <= s < 64).
func roundShift(m uint64, s uint) uint64 {
	q := m >> s
	rem := m & (1<<s - 1)
	halfway := uint64(1) << (s - 1)
	if rem > halfway || (rem == halfway && q&1 == 1) {
		q++
	}
	return q
}

// BFloat16ToFloat32 widens bfloat16 bits (exact).
func BFloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// BFloat16FromFloat32 rounds to the nearest bfloat16 (ties to even); NaN
// stays a quiet NaN.
func BFloat16FromFloat32(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x0040
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
