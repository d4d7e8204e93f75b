//go:build !purego

package varith

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// kernels lists the assembly kernels this CPU runs, by width.
func kernels() []struct {
	name string
	w    int
	vv   func(Op, int, *float32, *float32, *float32)
	vs   func(Op, int, *float32, *float32, float32)
	sv   func(Op, int, *float32, *float32, float32)
} {
	type k = struct {
		name string
		w    int
		vv   func(Op, int, *float32, *float32, *float32)
		vs   func(Op, int, *float32, *float32, float32)
		sv   func(Op, int, *float32, *float32, float32)
	}
	var ks []k
	if useAVX2 {
		ks = append(ks, k{"AVX2", 8, vvAVX2, vsAVX2, svAVX2})
	}
	if useAVX512 {
		ks = append(ks, k{"AVX512", 16, vvAVX512, vsAVX512, svAVX512})
	}
	return ks
}

// specials are the values whose results are easiest to get wrong.
var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.Float32frombits(0x7fc12345), math.Float32frombits(0xffa00001), // quiet and signalling payloads
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-38, 3e38}

func sample(r *rand.Rand) float32 {
	if r.IntN(4) == 0 {
		return specials[r.IntN(len(specials))]
	}
	return float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(8)-4)))
}

// same compares results bitwise; where both operands are NaN either NaN
// is right (the Go compiler may order the operands either way).
func same(got, want, x, y float32) bool {
	if x != x && y != y {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// TestKernelsMatchGo runs every kernel of this CPU on whole vectors of
// random and special values, in every form and operation, and compares
// each element with the Go definition.
func TestKernelsMatchGo(t *testing.T) {
	if len(kernels()) == 0 {
		t.Skip("no AVX2 on this CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range kernels() {
		for op := Add; op <= Div; op++ {
			for _, n := range []int{k.w, 2 * k.w, 7 * k.w} {
				t.Run(fmt.Sprintf("%s/op%d/n%d", k.name, op, n), func(t *testing.T) {
					a, b, got, want := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
					for i := range a {
						a[i], b[i] = sample(r), sample(r)
					}
					s := sample(r)
					check := func(form string, x func(int) (float32, float32)) {
						t.Helper()
						for i := range got {
							if xa, xb := x(i); !same(got[i], want[i], xa, xb) {
								t.Fatalf("%s element %d: %v op %v = %#x, want %#x", form, i, xa, xb,
									math.Float32bits(got[i]), math.Float32bits(want[i]))
							}
						}
					}
					k.vv(op, n, &got[0], &a[0], &b[0])
					vvGo(op, want, a, b)
					check("vv", func(i int) (float32, float32) { return a[i], b[i] })
					k.vs(op, n, &got[0], &a[0], s)
					vsGo(op, want, a, s)
					check("vs", func(i int) (float32, float32) { return a[i], s })
					k.sv(op, n, &got[0], &b[0], s)
					svGo(op, want, s, b)
					check("sv", func(i int) (float32, float32) { return s, b[i] })
				})
			}
		}
	}
}
