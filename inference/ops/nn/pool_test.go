package nn

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestMaxPoolRowsMatchesWindows checks the row-wise MaxPool path (no
// indices) against the window-by-window path (with indices) bit for bit,
// with padding, strides, dilations and NaNs.
func TestMaxPoolRowsMatchesWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ h, w, k, s, p, d int }{
		{112, 112, 3, 2, 1, 1}, {56, 56, 2, 2, 0, 1}, {17, 23, 3, 1, 1, 1}, {20, 20, 3, 2, 2, 2}, {9, 31, 5, 3, 2, 1},
	} {
		var g window
		g.nsp = 2
		for i := 0; i < maxSpatial; i++ {
			g.in[i], g.k[i], g.out[i], g.s[i], g.d[i] = 1, 1, 1, 1, 1
		}
		g.in[1], g.in[2] = tc.h, tc.w
		for i := 1; i < 3; i++ {
			g.k[i], g.s[i], g.d[i], g.pb[i], g.pe[i] = tc.k, tc.s, tc.d, tc.p, tc.p
			g.out[i] = (g.in[i]+2*tc.p-((tc.k-1)*tc.d+1))/tc.s + 1
		}
		const planes = 3
		x := randSlice(r, planes*tc.h*tc.w)
		for i := 0; i < len(x); i += 97 {
			x[i] = float32(math.NaN())
		}
		fast := make([]float32, planes*g.outSize())
		slow := make([]float32, len(fast))
		maxPool(fast, nil, x, planes, &g, false, float32(math.Inf(-1)), new(sync.Pool))
		maxPool(slow, make([]int64, len(slow)), x, planes, &g, false, float32(math.Inf(-1)), new(sync.Pool))
		for i := range fast {
			if math.Float32bits(fast[i]) != math.Float32bits(slow[i]) {
				t.Fatalf("%+v: element %d = %v, want %v", tc, i, fast[i], slow[i])
			}
		}
	}
}
