package nn

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkRawSgemmPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	m, n, k := 64, 3136, 576
	pa := make([]float32, packedSizeA(m, k))
	packA(pa, m, k, randSlice(r, m*k), k, false, 1)
	pb := make([]float32, packedSizeB(k, n))
	packB(pb, k, n, randSlice(r, k*n), n, false)
	c := make([]float32, m*n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sgemmPacked(m, n, k, pa, pb, c, n, false, true)
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
