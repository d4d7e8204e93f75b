package vmath

import (
	"flag"
	"math"
	"testing"
)

// stride is TestAccuracy's step through the float32 bit patterns; 1 checks
// all of them (minutes): go test -run Accuracy -stride 1.
var stride = flag.Uint64("stride", 1<<12, "TestAccuracy: check every stride-th float32")

// ulpErr is |got − want| in units of the float32 spacing at want.
func ulpErr(got float32, want float64) float64 {
	if math.IsNaN(want) {
		if got != got {
			return 0
		}
		return math.Inf(1)
	}
	if math.IsInf(float64(got), 0) && float32(want) == got {
		return 0
	}
	_, e := math.Frexp(math.Abs(want))
	ulp := math.Max(math.Ldexp(1, e-24), 0x1p-149)
	return math.Abs(float64(got)-want) / ulp
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// accuracyCases are the functions with their float64 references and the
// largest error allowed, in ulp. SiLU's reference is x times the float32
// sigmoid (what Sigmoid then Mul can at best give); it is checked where
// that sigmoid is a normal float32 (x > −87): below, one subnormal ulp of
// the sigmoid is many ulp of the product, in the unfused nodes as well.
var accuracyCases = []struct {
	name   string
	vec    func(dst, src []float32)
	ref    func(float64) float64
	maxULP float64
	from   float64 // the smallest x checked
}{
	{"Exp", Exp, math.Exp, 2, math.Inf(-1)},
	{"Sigmoid", Sigmoid, sigmoid64, 3, math.Inf(-1)},
	{"SiLU", SiLU, func(x float64) float64 { return x * float64(float32(sigmoid64(x))) }, 5, -87},
	{"Tanh", Tanh, math.Tanh, 3, math.Inf(-1)},
	{"Erf", Erf, math.Erf, 3, math.Inf(-1)},
}

// TestAccuracy sweeps float32 bit patterns with a stride (all of them when
// the stride is 1) and checks the error against float64 math.
func TestAccuracy(t *testing.T) {
	stride := *stride
	if testing.Short() {
		stride = max(stride, 1<<16)
	}
	const chunk = 1 << 16
	src := make([]float32, 0, chunk)
	dst := make([]float32, chunk)
	for _, c := range accuracyCases {
		t.Run(c.name, func(t *testing.T) {
			worst, worstX := 0.0, float32(0)
			flush := func() {
				c.vec(dst[:len(src)], src)
				for i, x := range src {
					if float64(x) < c.from {
						continue
					}
					if e := ulpErr(dst[i], c.ref(float64(x))); e > worst {
						worst, worstX = e, x
					}
				}
				src = src[:0]
			}
			for b := uint64(0); b < 1<<32; b += stride {
				src = append(src, math.Float32frombits(uint32(b)))
				if len(src) == chunk {
					flush()
				}
			}
			flush()
			t.Logf("%s: max error %.3f ulp at %g (stride %d)", c.name, worst, worstX, stride)
			if worst > c.maxULP {
				t.Errorf("%s: max error %.3f ulp at %g (%#x), want <= %g", c.name, worst, worstX, math.Float32bits(worstX), c.maxULP)
			}
		})
	}
}
