package vmath

import "math"

// The constants of the functions, as float32 hex literals (the assembly's
// DATA tables in vmath_amd64.s hold the same bits).
const (
	// exp: exp(x) = 2^n · p(r), n = round(x·log2 e), r = x − n·ln 2.
	expLo    = -0x1.ap+06      // -104: exp rounds to 0 below
	expHi    = 0x1.64p+06      // 89: exp overflows to +Inf above
	log2e    = 0x1.715476p+00  // log2(e)
	shifter  = 0x1.8p+23       // 1.5·2^23: adding it rounds to an integer
	ln2Hi    = 0x1.62e43p-01   // ln 2 rounded to float32
	ln2Lo    = -0x1.05c61p-29  // ln 2 − ln2Hi
	expP5    = 0x1.a0d2cep-13  // Cephes expf's minimax polynomial
	expP4    = 0x1.6e879cp-10  //
	expP3    = 0x1.11121p-07   //
	expP2    = 0x1.555382p-05  //
	expP1    = 0x1.555554p-03  //
	expP0    = 0x1p-01         //
	tanhThr  = 0x1.4p-01       // 0.625: below, tanh is x + x^3·P(x^2)
	tanhP4   = -0x1.75e1d4p-08 // Cephes tanhf's minimax polynomial
	tanhP3   = 0x1.52269cp-06  //
	tanhP2   = -0x1.b83c5ap-05 //
	tanhP1   = 0x1.110726p-03  //
	tanhP0   = -0x1.555532p-02 //
	erfThr   = 0x1.dbp-01      // 0.927734375: above, erf is 1 − exp(Q(|x|))
	erfMax   = 0x1p+02         // 4: erf(x) rounds to 1 above
	erfS5    = -0x1.39659cp-11 // erf(x) = x + x·S(x^2) below erfThr
	erfS4    = 0x1.471578p-08  //
	erfS3    = -0x1.b685fap-06 //
	erfS2    = 0x1.ce1a26p-04  //
	erfS1    = -0x1.8126e4p-02 //
	erfS0    = 0x1.06eba6p-03  //
	erfB7    = -0x1.22p-16     // Q(t) = t·B(t) − t ≈ ln erfc(t) above erfThr
	erfB6    = 0x1.91cfb2p-12  //
	erfB5    = -0x1.fd1438p-09 //
	erfB4    = 0x1.8d6342p-06  //
	erfB3    = -0x1.b55cb8p-04 //
	erfB2    = -0x1.450aap-01  //
	erfB1    = -0x1.079d0cp-03 //
	quietNaN = 0x00400000      // the quiet bit of a float32 NaN
)

// quiet returns the NaN x with its quiet bit set.
func quiet(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) | quietNaN)
}

// pow2 returns 2^n for -126 <= n <= 127.
func pow2(n int32) float32 { return math.Float32frombits(uint32(n+127) << 23) }

// expCore is exp(x) for a non-NaN x: x is clamped to [expLo, expHi],
// n = round(x·log2 e) by the shifter trick, r = x − n·ln 2 in two fused
// steps (Cody-Waite), p(r) ≈ e^r by Horner's rule, and p·2^n as p·2^(n>>1)
// then ·2^(n−n>>1), so that subnormal results are rounded once.
func expCore(x float32) float32 {
	x = min(max(x, expLo), expHi)
	k := fma32(x, log2e, shifter) - shifter
	r := fma32(-k, ln2Hi, x)
	r = fma32(-k, ln2Lo, r)
	p := float32(expP5)
	p = fma32(p, r, expP4)
	p = fma32(p, r, expP3)
	p = fma32(p, r, expP2)
	p = fma32(p, r, expP1)
	p = fma32(p, r, expP0)
	p = fma32(p, r, 1)
	p = fma32(p, r, 1)
	n := int32(k)
	n1 := n >> 1
	return p * pow2(n1) * pow2(n-n1)
}

// expf is e^x.
func expf(x float32) float32 {
	if x != x {
		return quiet(x)
	}
	return expCore(x)
}

// sigmoidCore is 1/(1+e^-x) for a non-NaN x, as 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0, with e = exp(−|x|).
func sigmoidCore(x float32) float32 {
	e := expCore(-abs(x))
	num := float32(1)
	if x < 0 {
		num = e
	}
	return num / (1 + e)
}

// sigmoidf is the logistic function 1/(1+e^-x).
func sigmoidf(x float32) float32 {
	if x != x {
		return quiet(x)
	}
	return sigmoidCore(x)
}

// siluf is x·sigmoid(x), the float32 product of x and sigmoidf(x).
func siluf(x float32) float32 {
	if x != x {
		return quiet(x)
	}
	return x * sigmoidCore(x)
}

// tanhf is tanh(x): for |x| < tanhThr the odd polynomial
// |x| + |x|·(z·P(z)), z = x², else 1 − 2/(e^(2|x|) + 1); then x's sign.
func tanhf(x float32) float32 {
	if x != x {
		return quiet(x)
	}
	a := abs(x)
	var t float32
	if a < tanhThr {
		z := a * a
		p := float32(tanhP4)
		p = fma32(p, z, tanhP3)
		p = fma32(p, z, tanhP2)
		p = fma32(p, z, tanhP1)
		p = fma32(p, z, tanhP0)
		t = fma32(p*z, a, a)
	} else {
		t = 1 - 2/(expCore(a+a)+1)
	}
	return copySign(t, x)
}

// erff is erf(x): for |x| <= erfThr the odd polynomial |x| + |x|·S(x²),
// else 1 − exp(Q(t)) with t = min(|x|, erfMax) and Q(t) ≈ ln erfc(t)
// (Norbert Juffa's erff); then x's sign.
func erff(x float32) float32 {
	if x != x {
		return quiet(x)
	}
	a := abs(x)
	var r float32
	if a <= erfThr {
		s := a * a
		r = erfS5
		r = fma32(r, s, erfS4)
		r = fma32(r, s, erfS3)
		r = fma32(r, s, erfS2)
		r = fma32(r, s, erfS1)
		r = fma32(r, s, erfS0)
		r = fma32(r, a, a)
	} else {
		t := min(a, erfMax)
		s := t * t
		r = fma32(erfB7, t, erfB6)
		u := fma32(erfB5, t, erfB4)
		r = fma32(r, s, u)
		r = fma32(r, t, erfB3)
		r = fma32(r, t, erfB2)
		r = fma32(r, t, erfB1)
		r = fma32(r, t, -t)
		r = 1 - expCore(r)
	}
	return copySign(r, x)
}

func abs(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// copySign returns the non-negative t with x's sign.
func copySign(t, x float32) float32 {
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&(1<<31))
}
