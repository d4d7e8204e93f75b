package varith

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSlicesMatchGo checks VV, VS and SV (the kernel on whole vectors, Go
// on the tail) against the Go definitions on every length 0..70, from
// offsets that misalign the slices, and in place (d is a or b).
func TestSlicesMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for op := Add; op <= Div; op++ {
		for n := 0; n <= 70; n++ {
			for _, off := range []int{0, 1, 3} {
				a, b := make([]float32, n+off), make([]float32, n+off)
				for i := range a {
					a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				}
				a, b = a[off:], b[off:]
				s := float32(r.NormFloat64())
				want, got := make([]float32, n), make([]float32, n+1)
				got[n] = 42 // nothing past d is written
				for _, c := range []struct {
					name string
					run  func(d []float32)
					def  func(d []float32)
				}{
					{"VV", func(d []float32) { VV(op, d, a, b) }, func(d []float32) { vvGo(op, d, a, b) }},
					{"VS", func(d []float32) { VS(op, d, a, s) }, func(d []float32) { vsGo(op, d, a, s) }},
					{"SV", func(d []float32) { SV(op, d, s, b) }, func(d []float32) { svGo(op, d, s, b) }},
				} {
					c.def(want)
					c.run(got[:n])
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s op %d n %d offset %d: element %d is %v, want %v", c.name, op, n, off, i, got[i], want[i])
						}
					}
					if got[n] != 42 {
						t.Fatalf("%s op %d n %d: wrote past the end", c.name, op, n)
					}
				}
				// In place: d is a.
				d := append([]float32(nil), a...)
				vvGo(op, want, a, b)
				VV(op, d, d, b)
				for i := range want {
					if math.Float32bits(d[i]) != math.Float32bits(want[i]) {
						t.Fatalf("VV in place op %d n %d: element %d is %v, want %v", op, n, i, d[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkVV compares the Go definition with VV on a 64x256 tensor (a
// BERT-style activation).
func BenchmarkVV(b *testing.B) {
	x, y, d := make([]float32, 64*256), make([]float32, 64*256), make([]float32, 64*256)
	for i := range x {
		x[i], y[i] = float32(i%97)+1, float32(i%89)+1
	}
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			vvGo(Div, d, x, y)
		}
	})
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			VV(Div, d, x, y)
		}
	})
}
