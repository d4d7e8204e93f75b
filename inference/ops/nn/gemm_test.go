package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// closeTo reports whether got and want agree within the conformance
// tolerance scaled for long sums.
func closeTo(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("len %d, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, add bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float32(float64(alpha) * s)
			if add {
				c[i*ldc+j] += v
			} else {
				c[i*ldc+j] = v
			}
		}
	}
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		m, n, k        int
		transA, transB bool
		alpha          float32
		add            bool
	}{
		{1, 1, 1, false, false, 1, false},
		{6, 16, 3, false, false, 1, false},
		{7, 17, 5, true, false, 2, true},
		{13, 40, 300, false, true, 1, true},
		{100, 150, 600, true, true, 0.5, false},
		{64, 3136, 576, false, false, 1, false},
		{5, 3, 0, false, false, 1, false},
		{200, 33, 513, false, false, 1, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d_%v_%v", tc.m, tc.n, tc.k, tc.transA, tc.transB), func(t *testing.T) {
			a := randSlice(r, tc.m*tc.k)
			b := randSlice(r, tc.k*tc.n)
			c0 := randSlice(r, tc.m*tc.n)
			lda, ldb := tc.k, tc.n
			if tc.transA {
				lda = tc.m
			}
			if tc.transB {
				ldb = tc.k
			}
			want := append([]float32{}, c0...)
			naiveGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, want, tc.n, tc.add)
			got := append([]float32{}, c0...)
			sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, got, tc.n, tc.add)
			if err := closeTo(got, want, 1e-5*math.Sqrt(float64(tc.k+1))); err != nil {
				t.Fatal(err)
			}
			// Same bits with one goroutine.
			prev := runtime.GOMAXPROCS(1)
			one := append([]float32{}, c0...)
			sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, one, tc.n, tc.add)
			runtime.GOMAXPROCS(prev)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(got[i]) {
					t.Fatalf("element %d differs between 1 and %d goroutines: %v vs %v", i, prev, one[i], got[i])
				}
			}
		})
	}
}

func TestKernelsMatchPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, kb := range []int{1, 2, 3, 17, 256} {
		a := randSlice(r, kb*mr)
		b := randSlice(r, kb*nr)
		for _, add := range []bool{false, true} {
			c0 := randSlice(r, mr*nr)
			got := append([]float32{}, c0...)
			want := append([]float32{}, c0...)
			microKernel(kb, a, b, got, nr, add)
			kern6x16Go(kb, a, b, want, nr, add)
			if err := closeTo(got, want, 1e-5*float64(kb)); err != nil {
				t.Fatalf("kb=%d add=%v: %v", kb, add, err)
			}
		}
		x := randSlice(r, kb)
		y0 := randSlice(r, nr)
		got := append([]float32{}, y0...)
		gemv16(kb, x, b, got)
		want := append([]float32{}, y0...)
		for p := 0; p < kb; p++ {
			for j := 0; j < nr; j++ {
				want[j] += x[p] * b[p*nr+j]
			}
		}
		if err := closeTo(got, want, 1e-5*float64(kb)); err != nil {
			t.Fatalf("gemv16 kb=%d: %v", kb, err)
		}
	}
}

func TestSgemvPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{1, 1}, {17, 5}, {300, 40}, {600, 1000}} {
		k, n := sz[0], sz[1]
		x, b := randSlice(r, k), randSlice(r, k*n)
		pb := make([]float32, packedSizeB(k, n))
		packB(pb, k, n, b, n, false)
		got := make([]float32, n)
		sgemvPacked(n, k, x, pb, got, true)
		want := make([]float32, n)
		naiveGemm(false, false, 1, n, k, 1, x, k, b, n, want, n, false)
		if err := closeTo(got, want, 1e-5*math.Sqrt(float64(k))); err != nil {
			t.Fatalf("k=%d n=%d: %v", k, n, err)
		}
	}
}

func setProcs(n int) int { return runtime.GOMAXPROCS(n) }

// TestAVX512KernelBitwise checks that the 6×32 AVX-512 kernel gives the
// bits of two AVX2 6×16 kernels, leaves the columns around its tile alone
// and reads its inputs only.
func TestAVX512KernelBitwise(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(5, 6))
	const ldc = 2*nr + 3
	for _, kb := range []int{1, 2, 3, 17, 255, 256} {
		a := randSlice(r, kb*mr)
		b0 := randSlice(r, kb*nr)
		b1 := randSlice(r, kb*nr)
		a0, c0, c1 := append([]float32{}, a...), append([]float32{}, b0...), append([]float32{}, b1...)
		for _, add := range []bool{false, true} {
			c := randSlice(r, mr*ldc)
			c[2*nr], c[len(c)-1] = float32(math.NaN()), float32(math.NaN())
			got := append([]float32{}, c...)
			want := append([]float32{}, c...)
			microKernel2(kb, a, b0, b1, got, ldc, add)
			microKernel(kb, a, b0, want, ldc, add)
			microKernel(kb, a, b1, want[nr:], ldc, add)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("kb=%d add=%v: element %d = %v, want %v", kb, add, i, got[i], want[i])
				}
			}
		}
		for i := range a {
			if a[i] != a0[i] {
				t.Fatal("a changed")
			}
		}
		for i := range b0 {
			if b0[i] != c0[i] || b1[i] != c1[i] {
				t.Fatal("b changed")
			}
		}
	}
}

// TestAxpyBitwise checks the AVX2 axpy against the rounded Go loop, for
// lengths around its 16- and 8-wide steps, leaving the elements after d
// alone.
func TestAxpyBitwise(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for n := 0; n < 70; n++ {
		s := randSlice(r, n)
		d := randSlice(r, n+1)
		want := append([]float32{}, d...)
		a := r.Float32()*4 - 2
		for j, v := range s {
			want[j] = want[j] + float32(a*v)
		}
		axpy(d[:n], a, s)
		for j := range want {
			if math.Float32bits(d[j]) != math.Float32bits(want[j]) {
				t.Fatalf("n=%d: element %d = %v, want %v", n, j, d[j], want[j])
			}
		}
	}
}

// TestPackA6MatchesLoop checks packA's six-row fast path against the
// per-element loop it replaces, on panels of every depth around kcBlock.
func TestPackA6MatchesLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, kb := range []int{1, 5, 16, 255, 256} {
		const lda = 300
		a := randSlice(r, mr*lda)
		got, want := make([]float32, kb*mr), make([]float32, kb*mr)
		packA6(got, a, lda, kb)
		for rr := 0; rr < mr; rr++ {
			for q := 0; q < kb; q++ {
				want[q*mr+rr] = a[rr*lda+q]
			}
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("kb=%d: element %d = %v, want %v", kb, i, got[i], want[i])
			}
		}
	}
}
