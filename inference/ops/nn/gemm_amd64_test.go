//go:build !purego

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmPanelPairsBitwise checks that sgemm gives the same bits with
// the AVX-512 pairs of panels (a partial second panel included) as with
// one panel at a time, on shapes whose columns end 1..31 past a multiple
// of 32 (ResNet's 7x7 maps: n = 49) and whose rows end inside a panel.
func TestSgemmPanelPairsBitwise(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	// Restored even when the test fails, so that later tests keep AVX-512.
	defer func() { useAVX512 = true }()
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ m, n, k int }{{512, 49, 600}, {13, 17, 5}, {7, 31, 300}, {20, 47, 257}, {6, 33, 1}, {96, 145, 64}} {
		for _, add := range []bool{false, true} {
			a, b, c0 := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
			pairs := append([]float32{}, c0...)
			sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, pairs, s.n, add)
			useAVX512 = false
			single := append([]float32{}, c0...)
			sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, single, s.n, add)
			useAVX512 = true
			for i := range pairs {
				if math.Float32bits(pairs[i]) != math.Float32bits(single[i]) {
					t.Fatalf("%dx%dx%d add=%v: element %d = %v with pairs, %v without", s.m, s.n, s.k, add, i, pairs[i], single[i])
				}
			}
		}
	}
}
