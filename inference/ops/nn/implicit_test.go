package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// implicitCases are convolution shapes for the implicit GEMM: ResNet18's
// 3x3 layers and odd ones (sizes, channel counts not multiples of the
// panels, more than one k-block, asymmetric or no pads, strides 1 to 3,
// dilations, 1-D windows), with m output channels.
func implicitCases() []struct {
	name string
	m    int
	c    im2colCase
} {
	one, s2, p1 := []int{1, 1}, []int{2, 2}, []int{1, 1, 1, 1}
	k3 := []int{3, 3}
	return []struct {
		name string
		m    int
		c    im2colCase
	}{
		{"3x3s1_64x56", 64, im2colCase{cg: 64, group: 1, in: []int{56, 56}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s1_128x28", 128, im2colCase{cg: 128, group: 1, in: []int{28, 28}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s2_64x56", 128, im2colCase{cg: 64, group: 1, in: []int{56, 56}, k: k3, s: s2, d: one, pad: p1}},
		{"3x3s1_256x14", 256, im2colCase{cg: 256, group: 1, in: []int{14, 14}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s1_512x7", 512, im2colCase{cg: 512, group: 1, in: []int{7, 7}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s2_256x14", 512, im2colCase{cg: 256, group: 1, in: []int{14, 14}, k: k3, s: s2, d: one, pad: p1}},
		{"3x3s2_128x28", 256, im2colCase{cg: 128, group: 1, in: []int{28, 28}, k: k3, s: s2, d: one, pad: p1}},
		{"vgg_3x3s1_3x224", 64, im2colCase{cg: 3, group: 1, in: []int{224, 224}, k: k3, s: one, d: one, pad: p1}},
		{"vgg_3x3s1_64x224", 64, im2colCase{cg: 64, group: 1, in: []int{224, 224}, k: k3, s: one, d: one, pad: p1}},
		{"vgg_3x3s1_128x112", 128, im2colCase{cg: 128, group: 1, in: []int{112, 112}, k: k3, s: one, d: one, pad: p1}},
		{"vgg_3x3s1_256x56", 256, im2colCase{cg: 256, group: 1, in: []int{56, 56}, k: k3, s: one, d: one, pad: p1}},
		{"vgg_3x3s1_512x28", 512, im2colCase{cg: 512, group: 1, in: []int{28, 28}, k: k3, s: one, d: one, pad: p1}},
		{"gnet_3x3s1_16x28_m32", 32, im2colCase{cg: 16, group: 1, in: []int{28, 28}, k: k3, s: one, d: one, pad: p1}},
		{"gnet_3x3s1_96x28_m128", 128, im2colCase{cg: 96, group: 1, in: []int{28, 28}, k: k3, s: one, d: one, pad: p1}},
		{"gnet_7x7s2_3x224_m64", 64, im2colCase{cg: 3, group: 1, in: []int{224, 224}, k: []int{7, 7}, s: s2, d: one, pad: []int{3, 3, 3, 3}}},
		{"gnet_mobilenet_3x3s2_3x224_m32", 32, im2colCase{cg: 3, group: 1, in: []int{224, 224}, k: k3, s: s2, d: one, pad: p1}},
		{"3x3s1_5x13x17", 7, im2colCase{cg: 5, group: 1, in: []int{13, 17}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s1_37x23x9_m100", 100, im2colCase{cg: 37, group: 1, in: []int{23, 9}, k: k3, s: one, d: one, pad: p1}},
		{"3x3s2_7x15x11", 13, im2colCase{cg: 7, group: 1, in: []int{15, 11}, k: k3, s: s2, d: one, pad: p1}},
		{"3x3s2_30x31x29", 19, im2colCase{cg: 30, group: 1, in: []int{31, 29}, k: k3, s: s2, d: one, pad: p1}},
		{"3x3s1_nopad_9x20x21", 6, im2colCase{cg: 9, group: 1, in: []int{20, 21}, k: k3, s: one, d: one, pad: []int{0, 0, 0, 0}}},
		{"3x3s1_asym_3x19x18", 11, im2colCase{cg: 3, group: 1, in: []int{19, 18}, k: k3, s: one, d: one, pad: []int{0, 2, 1, 0}}},
		{"3x3s1_d2_6x17x16", 5, im2colCase{cg: 6, group: 1, in: []int{17, 16}, k: k3, s: one, d: []int{2, 2}, pad: []int{2, 2, 2, 2}}},
		{"5x5s3_4x26x27", 9, im2colCase{cg: 4, group: 1, in: []int{26, 27}, k: []int{5, 5}, s: []int{3, 3}, d: one, pad: []int{2, 1, 2, 1}}},
		{"7x7s2_3x61x59", 8, im2colCase{cg: 3, group: 1, in: []int{61, 59}, k: []int{7, 7}, s: s2, d: one, pad: []int{3, 3, 3, 3}}},
		{"1x1s2_40x21x25", 17, im2colCase{cg: 40, group: 1, in: []int{21, 25}, k: []int{1, 1}, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"1d_k3s1_30x300", 12, im2colCase{cg: 30, group: 1, in: []int{300}, k: []int{3}, s: []int{1}, d: []int{1}, pad: []int{1, 1}}},
		{"1d_k4s2_9x301", 4, im2colCase{cg: 9, group: 1, in: []int{301}, k: []int{4}, s: []int{2}, d: []int{1}, pad: []int{2, 1}}},
	}
}

// implicitBenchOnly reports whether c (with m outputs) is one of VGG16's
// large layers, benchmarked but too slow to test with the portable kernel.
func implicitBenchOnly(t testing.TB, c im2colCase, m int) bool {
	g := c.window(t)
	return g.outSize()*c.cg*g.kSize()*max(m, 64) > 3e8
}

// implicitInput returns random inputs for c, with special values the
// copies must keep bit for bit.
func implicitInput(r *rand.Rand, n int) []float32 {
	special := []float32{float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00001), float32(math.Inf(-1)), math.Float32frombits(1)}
	x := randSlice(r, n)
	for j := range x {
		if r.IntN(50) == 0 {
			x[j] = special[r.IntN(len(special))]
		}
	}
	return x
}

func TestIm2colBlockMatchesPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	cases := make([]im2colCase, 0, 600)
	for _, c := range implicitCases() {
		if !implicitBenchOnly(t, c.c, 0) {
			cases = append(cases, c.c)
		}
	}
	for len(cases) < 600 {
		if c := randomIm2colCase(r); len(c.in) <= 2 {
			c.group = 1
			cases = append(cases, c)
		}
	}
	for i, c := range cases {
		g := c.window(t)
		kk, n := c.cg*g.kSize(), g.outSize()
		np := roundUp(n, nr)
		x := implicitInput(r, c.cg*g.inSize())
		want := make([]float32, packedSizeB(kk, n))
		im2colPacked(want, x, c.cg, &g, false)
		for _, width := range []int{nr, 3 * nr, implicitWidth} {
			buf := make([]float32, kcBlock*width)
			for k0 := 0; k0 < kk; k0 += kcBlock {
				kb := min(kcBlock, kk-k0)
				for j0 := 0; j0 < n; j0 += width {
					j1 := min(n, j0+width)
					for q := range buf {
						buf[q] = -7
					}
					im2colBlock(buf, x, &g, k0, kb, j0, j1)
					w := want[k0*np+j0*kb : k0*np+j0*kb+kb*roundUp(j1-j0, nr)]
					for q, v := range w {
						if math.Float32bits(buf[q]) != math.Float32bits(v) {
							t.Fatalf("case %d %+v, width %d, k-block %d, columns [%d, %d): element %d = %v, want %v", i, c, width, k0, j0, j1, q, buf[q], v)
						}
					}
				}
			}
		}
	}
}

func TestSgemmImplicitBitwise(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 17))
	for _, tc := range implicitCases() {
		if implicitBenchOnly(t, tc.c, tc.m) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			g := tc.c.window(t)
			m, kk, n := tc.m, tc.c.cg*g.kSize(), g.outSize()
			x := implicitInput(r, tc.c.cg*g.inSize())
			pa := make([]float32, packedSizeA(m, kk))
			packA(pa, m, kk, randSlice(r, m*kk), kk, false, 1)
			bias := randSlice(r, m)
			for _, post := range []bool{false, true} {
				for _, parallel := range []bool{false, true} {
					run := func(c []float32) tilePost {
						if !post {
							return nil
						}
						return func(i0, i1, j0, j1 int) {
							for i := i0; i < i1; i++ {
								for j := j0; j < j1; j++ {
									c[i*n+j] += bias[i]
								}
							}
						}
					}
					want := make([]float32, m*n)
					pb := make([]float32, packedSizeB(kk, n))
					im2colPacked(pb, x, tc.c.cg, &g, parallel)
					sgemmPackedPost(m, n, kk, pa, pb, want, n, false, parallel, run(want))
					for _, scratch := range []int{0, implicitScratch(1), implicitScratch(2)} {
						got := make([]float32, m*n)
						for q := range got {
							got[q] = float32(math.NaN())
						}
						sgemmImplicit(m, n, kk, pa, x, &g, got, n, parallel, run(got), make([]float32, scratch))
						for q := range got {
							if math.Float32bits(got[q]) != math.Float32bits(want[q]) {
								t.Fatalf("post %v, parallel %v, scratch %d: c[%d] = %v, want %v", post, parallel, scratch, q, got[q], want[q])
							}
						}
					}
				}
			}
		})
	}
}

// BenchmarkImplicitGemm compares im2col followed by the packed product
// (im2col) with the implicit product (implicit) on ResNet18's 3x3 layers,
// with every goroutine.
func BenchmarkImplicitGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range implicitCases() {
		if strings.HasPrefix(tc.name, "gnet_") {
			// GoogLeNet's (and ResNet's 7x7 stem).
		} else if !strings.HasPrefix(strings.TrimPrefix(tc.name, "vgg_"), "3x3") || !strings.Contains(tc.name, "_64x") && !strings.Contains(tc.name, "_128x") && !strings.Contains(tc.name, "_256x") && !strings.Contains(tc.name, "_512x") {
			continue
		}
		g := tc.c.window(b)
		m, kk, n := tc.m, tc.c.cg*g.kSize(), g.outSize()
		x := randSlice(r, tc.c.cg*g.inSize())
		pa := make([]float32, packedSizeA(m, kk))
		packA(pa, m, kk, randSlice(r, m*kk), kk, false, 1)
		c := make([]float32, m*n)
		pb := make([]float32, packedSizeB(kk, n))
		scratch := make([]float32, implicitScratch(4))
		for _, v := range []struct {
			name string
			run  func()
		}{
			{"im2col", func() {
				im2colPacked(pb, x, tc.c.cg, &g, true)
				sgemmPackedPost(m, n, kk, pa, pb, c, n, false, true, nil)
			}},
			{"implicit", func() { sgemmImplicit(m, n, kk, pa, x, &g, c, n, true, nil, scratch) }},
		} {
			b.Run(fmt.Sprintf("%s/%s", tc.name, v.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					v.run()
				}
				b.ReportMetric(float64(2*m*n*kk)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
