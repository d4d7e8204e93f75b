//go:build !purego

package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialInputs are the edges of every function: signed zeros, infinities,
// NaNs with payloads, subnormals, the overflow and underflow edges of exp,
// the branch thresholds of tanh and erf, and large magnitudes, each with
// its float32 neighbours.
func specialInputs() []float32 {
	centres := []uint32{
		0x00000000, 0x00000001, 0x007fffff, 0x00800000, // 0, subnormals, min normal
		0x7f7fffff, 0x7f800000, 0x7fc00000, 0x7f800001, 0x7fbfffff, 0x7fffffff, // max, Inf, NaNs
		math.Float32bits(88.72284), math.Float32bits(89), math.Float32bits(104),
		math.Float32bits(103.97208), math.Float32bits(87.33655), math.Float32bits(-87.33655),
		math.Float32bits(0.625), math.Float32bits(0.927734375), math.Float32bits(4),
		math.Float32bits(9.01), math.Float32bits(1), math.Float32bits(0.5),
		math.Float32bits(1e-20), math.Float32bits(1e20), math.Float32bits(12582912),
	}
	var out []float32
	for _, c := range centres {
		for d := -3; d <= 3; d++ {
			b := uint32(int64(c) + int64(d))
			out = append(out, math.Float32frombits(b), math.Float32frombits(b^0x80000000))
		}
	}
	return out
}

// equivalenceInputs are n pseudo-random inputs: random bit patterns, values
// in the range activations take, and a sweep over all bit patterns, after
// the special inputs.
func equivalenceInputs(n int) []float32 {
	r := rand.New(rand.NewPCG(3, 4))
	in := specialInputs()
	for range n / 3 {
		in = append(in, math.Float32frombits(r.Uint32()), float32(r.NormFloat64()*8))
	}
	stride := uint64(1<<32) / uint64(n/3)
	for b := uint64(0); b < 1<<32; b += stride {
		in = append(in, math.Float32frombits(uint32(b)))
	}
	return in
}

// kernelCases are the functions' Go definitions and kernels.
var kernelCases = []struct {
	name         string
	f            func(float32) float32
	avx2, avx512 kernelFunc
	old          func(float32) float32 // the float64 loop the operators used
}{
	{"Exp", expf, expAVX2, expAVX512, func(x float32) float32 { return float32(math.Exp(float64(x))) }},
	{"Sigmoid", sigmoidf, sigmoidAVX2, sigmoidAVX512, func(x float32) float32 { return float32(sigmoid64(float64(x))) }},
	{"SiLU", siluf, siluAVX2, siluAVX512, func(x float32) float32 { return x * float32(sigmoid64(float64(x))) }},
	{"Tanh", tanhf, tanhAVX2, tanhAVX512, func(x float32) float32 { return float32(math.Tanh(float64(x))) }},
	{"Erf", erff, erfAVX2, erfAVX512, func(x float32) float32 { return float32(math.Erf(float64(x))) }},
}

// TestKernelsMatchGo checks that the AVX2 and AVX-512 kernels give exactly
// the bits of the Go definition, including the tail and in place.
func TestKernelsMatchGo(t *testing.T) {
	n := 3 << 20
	if testing.Short() {
		n = 1 << 18
	}
	in := equivalenceInputs(n)
	in = in[:len(in)-len(in)%16+13] // a tail for both widths
	want := make([]float32, len(in))
	got := make([]float32, len(in))
	for _, o := range kernelCases {
		applyGo(o.f, want, in)
		for _, k := range []struct {
			name string
			ok   bool
			f    kernelFunc
			w    int
		}{
			{"AVX2", useAVX2, o.avx2, 8},
			{"AVX512", useAVX512, o.avx512, 16},
		} {
			if !k.ok {
				t.Logf("%s: no %s on this CPU", o.name, k.name)
				continue
			}
			for _, inPlace := range []bool{false, true} {
				dst := got
				if inPlace {
					copy(dst, in)
					applyKernel(k.f, k.w, dst, dst)
				} else {
					applyKernel(k.f, k.w, dst, in)
				}
				bad := 0
				for i := range want {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						if bad++; bad <= 5 {
							t.Errorf("%s %s (in place %v): f(%g = %#x) = %#x, Go gives %#x", o.name, k.name, inPlace,
								in[i], math.Float32bits(in[i]), math.Float32bits(dst[i]), math.Float32bits(want[i]))
						}
					}
				}
				if bad > 0 {
					t.Errorf("%s %s: %d of %d differ", o.name, k.name, bad, len(in))
				}
			}
		}
	}
}

// BenchmarkFuncs compares, on the same 4096 activations, the float64
// element loop the operators used before (float64), the Go definition (go)
// and the assembly kernels.
func BenchmarkFuncs(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 4)
	}
	dst := make([]float32, len(src))
	for _, f := range kernelCases {
		paths := []struct {
			name string
			ok   bool
			run  func()
		}{
			{"float64", true, func() {
				for i, x := range src {
					dst[i] = f.old(x)
				}
			}},
			{"go", true, func() { applyGo(f.f, dst, src) }},
			{"avx2", useAVX2, func() { applyKernel(f.avx2, 8, dst, src) }},
			{"avx512", useAVX512, func() { applyKernel(f.avx512, 16, dst, src) }},
		}
		for _, p := range paths {
			b.Run(f.name+"/"+p.name, func(b *testing.B) {
				if !p.ok {
					b.Skip("not on this CPU")
				}
				b.SetBytes(int64(4 * len(src)))
				for b.Loop() {
					p.run()
				}
			})
		}
	}
}

// TestKernelsMatchGoAll is TestKernelsMatchGo on every float32 (minutes;
// run with go test -run MatchGoAll -stride 1).
func TestKernelsMatchGoAll(t *testing.T) {
	if *stride != 1 {
		t.Skip("only with -stride 1")
	}
	const chunk = 1 << 20
	in := make([]float32, chunk)
	want := make([]float32, chunk)
	got := make([]float32, chunk)
	for _, o := range kernelCases {
		bad := 0
		for base := uint64(0); base < 1<<32; base += chunk {
			for i := range in {
				in[i] = math.Float32frombits(uint32(base) + uint32(i))
			}
			applyGo(o.f, want, in)
			for _, k := range []struct {
				ok bool
				f  kernelFunc
				w  int
			}{{useAVX2, o.avx2, 8}, {useAVX512, o.avx512, 16}} {
				if !k.ok {
					continue
				}
				applyKernel(k.f, k.w, got, in)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						if bad++; bad <= 5 {
							t.Errorf("%s width %d: f(%#x) = %#x, Go gives %#x", o.name, k.w,
								math.Float32bits(in[i]), math.Float32bits(got[i]), math.Float32bits(want[i]))
						}
					}
				}
			}
		}
		t.Logf("%s: %d differences over all 2^32 inputs (AVX2 %v, AVX-512 %v)", o.name, bad, useAVX2, useAVX512)
	}
}
