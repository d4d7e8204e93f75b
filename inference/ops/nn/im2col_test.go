package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// im2colCase is a convolution shape for the im2col packing: channels per
// group, groups, input and kernel sizes (1 to 3 spatial axes), strides,
// dilations and begin/end pads.
type im2colCase struct {
	cg, group        int
	in, k, s, d, pad []int
}

func (c im2colCase) window(t testing.TB) window {
	n := len(c.in)
	attrs := windowAttrs{autoPad: "NOTSET", strides: c.s, dilations: c.d, pads: c.pad, kernelShape: c.k}
	if c.pad == nil {
		attrs.pads = make([]int, 2*n)
	}
	g, err := resolveWindow(attrs, c.in, c.k, false)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// resnetIm2col returns the im2col shapes of ResNet18.
func resnetIm2col() []struct {
	name string
	c    im2colCase
} {
	return []struct {
		name string
		c    im2colCase
	}{
		{"3x3s1_64x56", im2colCase{cg: 64, group: 1, in: []int{56, 56}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s1_128x28", im2colCase{cg: 128, group: 1, in: []int{28, 28}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s1_256x14", im2colCase{cg: 256, group: 1, in: []int{14, 14}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s1_512x7", im2colCase{cg: 512, group: 1, in: []int{7, 7}, k: []int{3, 3}, s: []int{1, 1}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s2_64x56", im2colCase{cg: 64, group: 1, in: []int{56, 56}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s2_128x28", im2colCase{cg: 128, group: 1, in: []int{28, 28}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"3x3s2_256x14", im2colCase{cg: 256, group: 1, in: []int{14, 14}, k: []int{3, 3}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{1, 1, 1, 1}}},
		{"1x1s2_64x56", im2colCase{cg: 64, group: 1, in: []int{56, 56}, k: []int{1, 1}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{0, 0, 0, 0}}},
		{"7x7s2_3x224", im2colCase{cg: 3, group: 1, in: []int{224, 224}, k: []int{7, 7}, s: []int{2, 2}, d: []int{1, 1}, pad: []int{3, 3, 3, 3}}},
	}
}

// stridedIm2col returns the strided im2col shapes of ResNet18 (downsample
// 1x1 convolutions), ResNeXt50 (grouped 3x3 and downsample 1x1) and
// GoogLeNet (its stem is ResNet's 7x7 stride 2).
func stridedIm2col() []struct {
	name string
	c    im2colCase
} {
	s2 := []int{2, 2}
	one := []int{1, 1}
	return []struct {
		name string
		c    im2colCase
	}{
		{"1x1s2_128x28", im2colCase{cg: 128, group: 1, in: []int{28, 28}, k: one, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"1x1s2_256x14", im2colCase{cg: 256, group: 1, in: []int{14, 14}, k: one, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"x50_3x3s2_8x56_g32", im2colCase{cg: 8, group: 32, in: []int{56, 56}, k: []int{3, 3}, s: s2, d: one, pad: []int{1, 1, 1, 1}}},
		{"x50_3x3s2_16x28_g32", im2colCase{cg: 16, group: 32, in: []int{28, 28}, k: []int{3, 3}, s: s2, d: one, pad: []int{1, 1, 1, 1}}},
		{"x50_3x3s2_32x14_g32", im2colCase{cg: 32, group: 32, in: []int{14, 14}, k: []int{3, 3}, s: s2, d: one, pad: []int{1, 1, 1, 1}}},
		{"x50_1x1s2_256x56", im2colCase{cg: 256, group: 1, in: []int{56, 56}, k: one, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"x50_1x1s2_512x28", im2colCase{cg: 512, group: 1, in: []int{28, 28}, k: one, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"x50_1x1s2_1024x14", im2colCase{cg: 1024, group: 1, in: []int{14, 14}, k: one, s: s2, d: one, pad: []int{0, 0, 0, 0}}},
		{"7x7s2_3x224_odd", im2colCase{cg: 3, group: 1, in: []int{223, 225}, k: []int{7, 7}, s: s2, d: one, pad: []int{3, 2, 3, 4}}},
	}
}

// im2colRowGenericOld is im2colRowGeneric as it was before the stride-2
// path (the reference the packed panels must match).
func im2colRowGenericOld(row *packedRow, x []float32, r int, g *window) {
	plane, ta, tb, x0 := im2colTap(x, r, g)
	od, oh, ow := g.out[0], g.out[1], g.out[2]
	id, ih, iw := g.in[0], g.in[1], g.in[2]
	sw := g.s[2]
	lo, hi := rowSpan(x0, ow, iw, sw)
	idx := 0
	for a := 0; a < od; a++ {
		z := a*g.s[0] - g.pb[0] + ta*g.d[0]
		if z < 0 || z >= id {
			row.zero(idx, oh*ow)
			idx += oh * ow
			continue
		}
		for b := 0; b < oh; b++ {
			yy := b*g.s[1] - g.pb[1] + tb*g.d[1]
			if yy < 0 || yy >= ih {
				row.zero(idx, ow)
				idx += ow
				continue
			}
			src := plane[(z*ih+yy)*iw : (z*ih+yy+1)*iw]
			row.zero(idx, lo)
			row.zero(idx+hi, ow-hi)
			if sw == 1 {
				row.put(idx+lo, src[lo+x0:hi+x0])
			} else {
				row.putStrided(idx+lo, src[lo*sw+x0:], sw, hi-lo)
			}
			idx += ow
		}
	}
}

// randomIm2colCase draws a small convolution shape, often with stride 1 and
// output width = input width (the contiguous case of im2colRow), often
// with stride 2 on the last axis (the stride-2 case), sometimes with wide
// rows.
func randomIm2colCase(r *rand.Rand) im2colCase {
	n := 1 + r.IntN(3)
	c := im2colCase{cg: 1 + r.IntN(20), group: 1 + r.IntN(3)}
	same := r.IntN(2) == 0
	stride2 := !same && r.IntN(2) == 0
	wide := n < 3 && r.IntN(8) == 0
	for i := 0; i < n; i++ {
		k, s, d := 1+r.IntN(4), 1+r.IntN(3), 1+r.IntN(2)
		if same && i > 0 {
			s = 1
		}
		if stride2 && i == n-1 {
			k, s = 1+r.IntN(7), 2
		}
		size := (k-1)*d + 1 + r.IntN(9)
		if wide && i == n-1 {
			size += r.IntN(600)
		}
		c.k, c.s, c.d = append(c.k, k), append(c.s, s), append(c.d, d)
		c.in = append(c.in, size)
	}
	pads := make([]int, 2*n)
	for i := range pads {
		pads[i] = r.IntN(4)
	}
	if same {
		// pb + pe = (k-1)·d on the last axis keeps the width.
		ext := (c.k[n-1] - 1) * c.d[n-1]
		pads[n-1] = r.IntN(ext + 1)
		pads[2*n-1] = ext - pads[n-1]
	}
	c.pad = pads
	// Pads may exceed the window: drop the case to stride 1, no pads, if
	// the input does not fit (resolveWindow rejects it otherwise).
	for i := 0; i < n; i++ {
		if c.in[i]+pads[i]+pads[i+n] < (c.k[i]-1)*c.d[i]+1 {
			c.pad = nil
		}
	}
	return c
}

func TestIm2colPackedMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	cases := make([]im2colCase, 0, 1000)
	for _, c := range append(resnetIm2col(), stridedIm2col()...) {
		cases = append(cases, c.c)
	}
	for i := 0; i < 1000; i++ {
		cases = append(cases, randomIm2colCase(r))
	}
	// Special values the copies must keep bit for bit.
	special := []float32{float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002), float32(math.Inf(-1)), math.Float32frombits(1)}
	for i, c := range cases {
		g := c.window(t)
		in, kk := g.inSize(), c.cg*g.kSize()
		x := make([]float32, c.group*c.cg*in)
		for j := range x {
			x[j] = r.Float32()*2 - 1
			if r.IntN(20) == 0 {
				x[j] = special[r.IntN(len(special))]
			}
		}
		for gr := 0; gr < c.group; gr++ {
			xs := x[gr*c.cg*in : (gr+1)*c.cg*in]
			for _, parallel := range []bool{false, true} {
				got := make([]float32, packedSizeB(kk, g.outSize()))
				want := make([]float32, len(got))
				for j := range got {
					got[j], want[j] = -1, -2
				}
				im2colPacked(got, xs, c.cg, &g, parallel)
				im2colPackedRows(want, xs, c.cg, &g, parallel, im2colRowGenericOld)
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("case %d %+v group %d parallel %v: element %d = %v, want %v", i, c, gr, parallel, j, got[j], want[j])
					}
				}
			}
		}
	}
}

// BenchmarkIm2col packs ResNet18's and the strided convolution inputs with
// im2colRowGenericOld (old) and im2colPacked (new), on one goroutine.
func BenchmarkIm2col(b *testing.B) {
	for _, bc := range append(resnetIm2col(), stridedIm2col()...) {
		g := bc.c.window(b)
		x := make([]float32, bc.c.cg*g.inSize())
		for j := range x {
			x[j] = float32(j%97) - 48
		}
		dst := make([]float32, packedSizeB(bc.c.cg*g.kSize(), g.outSize()))
		for _, v := range []struct {
			name string
			pack func()
		}{
			{"old", func() { im2colPackedRows(dst, x, bc.c.cg, &g, false, im2colRowGenericOld) }},
			{"new", func() { im2colPacked(dst, x, bc.c.cg, &g, false) }},
		} {
			b.Run(fmt.Sprintf("%s/%s", bc.name, v.name), func(b *testing.B) {
				b.SetBytes(int64(4 * len(dst)))
				for i := 0; i < b.N; i++ {
					v.pack()
				}
			})
		}
	}
}
