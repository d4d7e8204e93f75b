package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// maxPoolOld is maxPool as it was before the float32 fast path (the
// reference: the new code must give the same bits).
func maxPoolOld[T float32 | float64 | uint8 | int8](y []T, idx []int64, x []T, planes int, g *window, colMajor bool, lowest T) {
	in, out := g.inSize(), g.outSize()
	var ranges [maxSpatial][][2]int
	for ax := 0; ax < maxSpatial; ax++ {
		ranges[ax] = make([][2]int, g.out[ax])
		for o := range ranges[ax] {
			lo, hi := tapRange(o, g.s[ax], g.pb[ax], g.d[ax], g.k[ax], 0, g.in[ax])
			ranges[ax][o] = [2]int{lo, hi}
		}
	}
	inLo, inHi := 0, 0
	for c := 0; c < g.out[2]; c++ {
		if ranges[2][c] == [2]int{0, g.k[2]} {
			if inHi == inLo {
				inLo = c
			}
			inHi = c + 1
		}
	}
	rowWise := idx == nil && g.in[0] == 1 && g.out[0] == 1 && g.k[0] == 1 && g.pb[0] == 0 && inHi-inLo >= 4
	parallelFor(workers(planes*out*g.kSize(), planes), planes, func(pl int) {
		xs := x[pl*in : (pl+1)*in]
		o := pl * out
		if rowWise {
			maxPoolRowsOld(y[o:o+out], xs, g, ranges[1], ranges[2], inLo, inHi, lowest)
			return
		}
		for a := 0; a < g.out[0]; a++ {
			alo, ahi := ranges[0][a][0], ranges[0][a][1]
			for b := 0; b < g.out[1]; b++ {
				blo, bhi := ranges[1][b][0], ranges[1][b][1]
				for c := 0; c < g.out[2]; c++ {
					clo, chi := ranges[2][c][0], ranges[2][c][1]
					best, bestAt := lowest, -1
					for ta := alo; ta < ahi; ta++ {
						z := a*g.s[0] - g.pb[0] + ta*g.d[0]
						for tb := blo; tb < bhi; tb++ {
							yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
							base := (z*g.in[1] + yy) * g.in[2]
							for tc := clo; tc < chi; tc++ {
								xx := c*g.s[2] - g.pb[2] + tc*g.d[2]
								v := xs[base+xx]
								if bestAt < 0 || v > best || v != v && best == best {
									best, bestAt = v, base+xx
								}
							}
						}
					}
					y[o] = best
					if idx != nil {
						at := bestAt
						if at >= 0 && colMajor {
							z := at / (g.in[1] * g.in[2])
							yy := at / g.in[2] % g.in[1]
							xx := at % g.in[2]
							at = xx*g.in[0]*g.in[1] + yy*g.in[0] + z
						}
						if at < 0 {
							at = 0
						}
						idx[o] = int64(pl*in + at)
					}
					o++
				}
			}
		}
	})
}

// maxPoolRowsOld is maxPoolRows as it was before the float32 fast path.
func maxPoolRowsOld[T float32 | float64 | uint8 | int8](y, xs []T, g *window, rowRanges, colRanges [][2]int, inLo, inHi int, lowest T) {
	ih, iw := g.in[1], g.in[2]
	ow, s1, s2, pb1, pb2, d1, d2 := g.out[2], g.s[1], g.s[2], g.pb[1], g.pb[2], g.d[1], g.d[2]
	for b := 0; b < g.out[1]; b++ {
		blo, bhi := rowRanges[b][0], rowRanges[b][1]
		row := y[b*ow : (b+1)*ow]
		window := func(c int) {
			clo, chi := colRanges[c][0], colRanges[c][1]
			best, seen := lowest, false
			for tb := blo; tb < bhi; tb++ {
				base := (b*s1 - pb1 + tb*d1) * iw
				for tc := clo; tc < chi; tc++ {
					v := xs[base+c*s2-pb2+tc*d2]
					if !seen || v > best || v != v && best == best {
						best, seen = v, true
					}
				}
			}
			row[c] = best
		}
		for c := 0; c < inLo; c++ {
			window(c)
		}
		for c := inHi; c < ow; c++ {
			window(c)
		}
		if blo >= bhi {
			for c := inLo; c < inHi; c++ {
				row[c] = lowest
			}
			continue
		}
		dst := row[inLo:inHi]
		for tb := blo; tb < bhi; tb++ {
			base := (b*s1 - pb1 + tb*d1) * iw
			_ = xs[:ih*iw]
			for tc := 0; tc < g.k[2]; tc++ {
				src := xs[base+inLo*s2-pb2+tc*d2:]
				_ = src[(len(dst)-1)*s2]
				if tb == blo && tc == 0 {
					for c := range dst {
						dst[c] = src[c*s2]
					}
					continue
				}
				for c, bst := range dst {
					if v := src[c*s2]; v > bst || v != v && bst == bst {
						dst[c] = v
					}
				}
			}
		}
	}
}

// poolCase is a MaxPool shape: input size (1 to 3 spatial axes), kernel,
// strides, dilations, begin/end pads and ceil_mode.
type poolCase struct {
	name             string
	in, k, s, d, pad []int
	ceil             bool
}

func (c poolCase) window(t testing.TB) window {
	attrs := windowAttrs{autoPad: "NOTSET", strides: c.s, dilations: c.d, pads: c.pad, kernelShape: c.k}
	g, err := resolveWindow(attrs, c.in, c.k, c.ceil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// modelPools returns the MaxPool shapes of ResNet18, GoogLeNet and VGG16.
func modelPools() []poolCase {
	return []poolCase{
		{"resnet_3x3s2_112", []int{112, 112}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1, 1, 1}, false},
		{"googlenet_3x3s2c_112", []int{112, 112}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, true},
		{"googlenet_3x3s2c_56", []int{56, 56}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, true},
		{"googlenet_3x3s1_28", []int{28, 28}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{"googlenet_3x3s1_14", []int{14, 14}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{"googlenet_2x2s2c_14", []int{14, 14}, []int{2, 2}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, true},
		{"vgg_2x2s2_224", []int{224, 224}, []int{2, 2}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, false},
		{"vgg_2x2s2_14", []int{14, 14}, []int{2, 2}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, false},
	}
}

// randomPoolCase draws a small pooling shape, mostly 2-D with strides 1
// and 2 (the fast path), sometimes 1-D, 3-D or stride 3.
func randomPoolCase(r *rand.Rand) poolCase {
	n := 2
	switch r.IntN(6) {
	case 0:
		n = 1
	case 1:
		n = 3
	}
	c := poolCase{ceil: r.IntN(2) == 0}
	for i := 0; i < n; i++ {
		k, s, d := 1+r.IntN(4), 1+r.IntN(2), 1
		if r.IntN(5) == 0 {
			s = 3
		}
		if r.IntN(4) == 0 {
			d = 2
		}
		c.k, c.s, c.d = append(c.k, k), append(c.s, s), append(c.d, d)
		c.in = append(c.in, (k-1)*d+1+r.IntN(40))
	}
	c.pad = make([]int, 2*n)
	for i := 0; i < n; i++ {
		// ONNX pads must be smaller than the kernel.
		c.pad[i], c.pad[i+n] = r.IntN(c.k[i]), r.IntN(c.k[i])
	}
	c.name = fmt.Sprintf("in%v_k%v_s%v_d%v_p%v_ceil%v", c.in, c.k, c.s, c.d, c.pad, c.ceil)
	return c
}

// poolValues fills x by kind: random, random with a few NaNs of two
// payloads, only signed zeros, or a mixture of zeros, infinities, equal
// values and NaNs.
func poolValues(r *rand.Rand, x []float32, kind int) {
	nan1 := math.Float32frombits(0x7fc00001)
	nan2 := math.Float32frombits(0xffc00002)
	special := []float32{0, float32(math.Copysign(0, -1)), 1, 1, float32(math.Inf(1)), float32(math.Inf(-1)), -1}
	for i := range x {
		switch kind {
		case 0:
			x[i] = r.Float32()*2 - 1
		case 1:
			x[i] = r.Float32()*2 - 1
			switch r.IntN(50) {
			case 0:
				x[i] = nan1
			case 1:
				x[i] = nan2
			}
		case 2:
			x[i] = 0
			if r.IntN(2) == 0 {
				x[i] = float32(math.Copysign(0, -1))
			}
		case 3:
			x[i] = special[r.IntN(len(special))]
			if r.IntN(200) == 0 {
				x[i] = nan1
			}
		}
	}
}

func TestMaxPoolMatchesOld(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	cases := modelPools()
	for i := 0; i < 400; i++ {
		cases = append(cases, randomPoolCase(r))
	}
	for _, c := range cases {
		g := c.window(t)
		for kind := 0; kind < 4; kind++ {
			planes := 1 + r.IntN(5)
			x := make([]float32, planes*g.inSize())
			poolValues(r, x, kind)
			if kind == 1 && planes > 1 {
				// One plane without NaNs beside planes with some.
				poolValues(r, x[:g.inSize()], 0)
			}
			got := make([]float32, planes*g.outSize())
			want := make([]float32, len(got))
			maxPool(got, nil, x, planes, &g, false, float32(math.Inf(-1)), new(sync.Pool))
			maxPoolOld(want, nil, x, planes, &g, false, float32(math.Inf(-1)))
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%s values %d: element %d = %v (%#x), want %v (%#x)", c.name, kind, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
		}
	}
}

// BenchmarkMaxPool pools 64 planes of the models' shapes with the old and
// the new code (both on as many goroutines as workers allows).
func BenchmarkMaxPool(b *testing.B) {
	for _, c := range modelPools() {
		g := c.window(b)
		const planes = 64
		x := make([]float32, planes*g.inSize())
		poolValues(rand.New(rand.NewPCG(1, 2)), x, 0)
		y := make([]float32, planes*g.outSize())
		var scratch sync.Pool // the kernel's, kept across runs
		for _, v := range []struct {
			name string
			f    func(y []float32, idx []int64, x []float32, planes int, g *window, colMajor bool, lowest float32)
		}{{"old", maxPoolOld[float32]}, {"new", func(y []float32, idx []int64, x []float32, planes int, g *window, colMajor bool, lowest float32) {
			maxPool(y, idx, x, planes, g, colMajor, lowest, &scratch)
		}}} {
			b.Run(c.name+"/"+v.name, func(b *testing.B) {
				b.SetBytes(int64(4 * len(x)))
				for i := 0; i < b.N; i++ {
					v.f(y, nil, x, planes, &g, false, float32(math.Inf(-1)))
				}
			})
		}
	}
}
