package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func intsAttr(name string, v ...int) onnx.Attribute {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: out}
}

func intAttr(name string, v int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func floatAttr(name string, v float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

func stringAttr(name, v string) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

// runOp builds op with the given attributes and runs it twice: with no
// constant inputs and with every input from constIdx known at build time.
// Both runs must give identical bits; the first result is returned.
func runOp(t *testing.T, op string, opset int64, attrs []onnx.Attribute, nOut int, inputs []*tensor.Tensor, constIdx ...int) []*tensor.Tensor {
	t.Helper()
	builders := map[string]kernel.Builder{}
	Register(func(name string, b kernel.Builder) { builders[name] = b })
	n := &onnx.Node{OpType: op, Attrs: attrs}
	for i := range inputs {
		n.Inputs = append(n.Inputs, fmt.Sprintf("in%d", i))
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, fmt.Sprintf("out%d", i))
	}
	var results [][]*tensor.Tensor
	for pass := 0; pass < 2; pass++ {
		consts := make([]*tensor.Tensor, len(inputs))
		if pass == 1 {
			if len(constIdx) == 0 {
				break
			}
			for _, i := range constIdx {
				if i < len(inputs) {
					consts[i] = inputs[i]
				}
			}
		}
		k, err := builders[op](n, opset, consts)
		if err != nil {
			t.Fatalf("build %s: %v", op, err)
		}
		before := make([]*tensor.Tensor, len(inputs))
		for i, in := range inputs {
			if in != nil {
				before[i] = in.Clone()
			}
		}
		out, err := k.Run(inputs)
		if err != nil {
			t.Fatalf("run %s: %v", op, err)
		}
		for i, in := range inputs {
			if in != nil && !sameBits(in, before[i]) {
				t.Fatalf("%s modified input %d", op, i)
			}
		}
		results = append(results, out)
	}
	if len(results) == 2 {
		for i := range results[0] {
			if !sameBits(results[0][i], results[1][i]) {
				t.Fatalf("output %d differs between runtime and constant weights", i)
			}
		}
	}
	return results[0]
}

func sameBits(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	switch x := a.Data.(type) {
	case []float32:
		y := b.Data.([]float32)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a.Data) == fmt.Sprint(b.Data)
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	return tensor.MustFromSlice(randSlice(r, tensor.NumElements(shape)), shape...)
}

func checkTensor(t *testing.T, got *tensor.Tensor, wantShape []int, want []float32, tol float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape, wantShape) {
		t.Fatalf("shape %v, want %v", got.Shape, wantShape)
	}
	if err := closeTo(got.Float32s(), want, tol); err != nil {
		t.Fatal(err)
	}
}

// convCase is a Conv over nsp spatial axes with explicit pads.
type convCase struct {
	n, c, m, group int
	in, k, s, d    []int
	pads           []int
	bias           bool
}

// naiveConv is the reference: every output is a full loop over the input
// channels of its group and the kernel taps, in float64.
func naiveConv(tc convCase, x, w, b []float32) ([]int, []float32) {
	nsp := len(tc.in)
	out := make([]int, nsp)
	for i := range out {
		out[i] = (tc.in[i]+tc.pads[i]+tc.pads[i+nsp]-((tc.k[i]-1)*tc.d[i]+1))/tc.s[i] + 1
	}
	inSize, outSize, kSize := 1, 1, 1
	for i := 0; i < nsp; i++ {
		inSize *= tc.in[i]
		outSize *= out[i]
		kSize *= tc.k[i]
	}
	cg, mg := tc.c/tc.group, tc.m/tc.group
	y := make([]float32, tc.n*tc.m*outSize)
	op := make([]int, nsp)
	kp := make([]int, nsp)
	for n := 0; n < tc.n; n++ {
		for o := 0; o < tc.m; o++ {
			gr := o / mg
			for p := 0; p < outSize; p++ {
				rem := p
				for i := nsp - 1; i >= 0; i-- {
					op[i] = rem % out[i]
					rem /= out[i]
				}
				var s float64
				if tc.bias {
					s = float64(b[o])
				}
				for ci := 0; ci < cg; ci++ {
					for t := 0; t < kSize; t++ {
						rem := t
						for i := nsp - 1; i >= 0; i-- {
							kp[i] = rem % tc.k[i]
							rem /= tc.k[i]
						}
						idx, ok := 0, true
						for i := 0; i < nsp; i++ {
							pos := op[i]*tc.s[i] - tc.pads[i] + kp[i]*tc.d[i]
							if pos < 0 || pos >= tc.in[i] {
								ok = false
								break
							}
							idx = idx*tc.in[i] + pos
						}
						if !ok {
							continue
						}
						xv := x[(n*tc.c+gr*cg+ci)*inSize+idx]
						wv := w[(o*cg+ci)*kSize+t]
						s += float64(xv) * float64(wv)
					}
				}
				y[(n*tc.m+o)*outSize+p] = float32(s)
			}
		}
	}
	return append([]int{tc.n, tc.m}, out...), y
}

func TestConvAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 20))
	cases := []convCase{
		{1, 3, 4, 1, []int{7, 6}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{2, 4, 6, 2, []int{9, 8}, []int{3, 2}, []int{2, 1}, []int{1, 2}, []int{0, 1, 2, 0}, true},
		{1, 6, 6, 6, []int{8, 8}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{1, 4, 8, 4, []int{5, 7}, []int{3, 3}, []int{1, 1}, []int{2, 1}, []int{2, 1, 2, 1}, false},
		{1, 8, 5, 1, []int{6, 6}, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, true},
		{1, 8, 5, 1, []int{6, 6}, []int{1, 1}, []int{2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, false},
		{2, 3, 7, 1, []int{20}, []int{5}, []int{3}, []int{2}, []int{3, 1}, true},
		{1, 2, 3, 1, []int{5, 6, 4}, []int{3, 2, 2}, []int{1, 2, 1}, []int{1, 1, 2}, []int{1, 0, 1, 1, 1, 0}, true},
		{1, 32, 40, 1, []int{12, 11}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{1, 64, 7, 1, []int{9, 9}, []int{5, 5}, []int{1, 1}, []int{1, 1}, []int{2, 2, 2, 2}, false},
		{1, 3, 2, 1, []int{4, 4}, []int{2, 2}, []int{5, 5}, []int{1, 1}, []int{0, 0, 3, 3}, true},
		// 3x3 stride 1 with 16 or more channels: odd and even sizes, pads 0 to 2, uneven pads.
		{2, 16, 16, 1, []int{8, 8}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		{1, 17, 20, 1, []int{7, 9}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, false},
		{1, 24, 16, 1, []int{5, 6}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{2, 0, 1, 2}, true},
		{1, 300, 18, 1, []int{4, 4}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
		// Many groups with enough work: a group per goroutine.
		{2, 32, 64, 8, []int{14, 14}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, true},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%d_c%d_m%d_g%d_k%v_s%v_d%v_p%v", i, tc.c, tc.m, tc.group, tc.k, tc.s, tc.d, tc.pads), func(t *testing.T) {
			x := randTensor(r, append([]int{tc.n, tc.c}, tc.in...)...)
			w := randTensor(r, append([]int{tc.m, tc.c / tc.group}, tc.k...)...)
			inputs := []*tensor.Tensor{x, w}
			var bd []float32
			if tc.bias {
				b := randTensor(r, tc.m)
				inputs = append(inputs, b)
				bd = b.Float32s()
			}
			attrs := []onnx.Attribute{
				intsAttr("strides", tc.s...), intsAttr("dilations", tc.d...), intsAttr("pads", tc.pads...),
				intAttr("group", int64(tc.group)), intsAttr("kernel_shape", tc.k...),
			}
			got := runOp(t, "Conv", 11, attrs, 1, inputs, 1, 2)
			shape, want := naiveConv(tc, x.Float32s(), w.Float32s(), bd)
			checkTensor(t, got[0], shape, want, 1e-5)
		})
	}
}

func TestConvAutoPad(t *testing.T) {
	// 1×1×5×5 input of ones, 3×3 kernel of ones, stride 2: SAME_UPPER pads
	// (1,1) and VALID none; each output counts the taps inside the input.
	x := tensor.New(tensor.Float32, 1, 1, 5, 5)
	for i := range x.Float32s() {
		x.Float32s()[i] = 1
	}
	w := tensor.New(tensor.Float32, 1, 1, 3, 3)
	for i := range w.Float32s() {
		w.Float32s()[i] = 1
	}
	cases := []struct {
		autoPad string
		shape   []int
		want    []float32
	}{
		{"SAME_UPPER", []int{1, 1, 3, 3}, []float32{4, 6, 4, 6, 9, 6, 4, 6, 4}},
		{"SAME_LOWER", []int{1, 1, 3, 3}, []float32{4, 6, 4, 6, 9, 6, 4, 6, 4}},
		{"VALID", []int{1, 1, 2, 2}, []float32{9, 9, 9, 9}},
	}
	for _, tc := range cases {
		t.Run(tc.autoPad, func(t *testing.T) {
			got := runOp(t, "Conv", 11, []onnx.Attribute{stringAttr("auto_pad", tc.autoPad), intsAttr("strides", 2, 2)}, 1, []*tensor.Tensor{x, w}, 1)
			checkTensor(t, got[0], tc.shape, tc.want, 0)
		})
	}
	// 4 inputs, kernel 2, stride 1: total pad 1, at the end (UPPER) or the
	// beginning (LOWER).
	x1 := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 1, 4)
	w1 := tensor.MustFromSlice([]float32{1, 10}, 1, 1, 2)
	for _, tc := range []struct {
		autoPad string
		want    []float32
	}{{"SAME_UPPER", []float32{21, 32, 43, 4}}, {"SAME_LOWER", []float32{10, 21, 32, 43}}} {
		t.Run(tc.autoPad+"_odd", func(t *testing.T) {
			got := runOp(t, "Conv", 11, []onnx.Attribute{stringAttr("auto_pad", tc.autoPad)}, 1, []*tensor.Tensor{x1, w1})
			checkTensor(t, got[0], []int{1, 1, 4}, tc.want, 0)
		})
	}
}

func TestConvErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randTensor(r, 1, 4, 5, 5)
	w := randTensor(r, 2, 4, 3, 3)
	builders := map[string]kernel.Builder{}
	Register(func(name string, b kernel.Builder) { builders[name] = b })
	cases := []struct {
		name   string
		attrs  []onnx.Attribute
		inputs []*tensor.Tensor
		want   string
	}{
		{"pads", []onnx.Attribute{intsAttr("pads", 1, 1, 1, 1, 1, 1)}, []*tensor.Tensor{x, w}, "pads has 6 values, want 4 for 2 spatial axes"},
		{"strides", []onnx.Attribute{intsAttr("strides", 1)}, []*tensor.Tensor{x, w}, "strides has 1 values"},
		{"group", []onnx.Attribute{intAttr("group", 3)}, []*tensor.Tensor{x, w}, "not a multiple of group"},
		{"channels", nil, []*tensor.Tensor{randTensor(r, 1, 3, 5, 5), w}, "channels"},
		{"auto_pad", []onnx.Attribute{stringAttr("auto_pad", "SAME")}, []*tensor.Tensor{x, w}, "auto_pad"},
		{"kernel_shape", []onnx.Attribute{intsAttr("kernel_shape", 2, 2)}, []*tensor.Tensor{x, w}, "kernel_shape"},
		{"too small", nil, []*tensor.Tensor{randTensor(r, 1, 4, 2, 2), w}, "does not fit"},
		{"bias", nil, []*tensor.Tensor{x, w, randTensor(r, 3)}, "input B"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &onnx.Node{OpType: "Conv", Attrs: tc.attrs, Outputs: []string{"y"}}
			k, err := builders["Conv"](n, 11, nil)
			if err == nil {
				_, err = k.Run(tc.inputs)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// naiveConvTranspose scatters every input through every tap (2-D).
func naiveConvTranspose(x, w, b []float32, n, c, h, wd, mg, group, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow int) []float32 {
	m := mg * group
	cg := c / group
	y := make([]float64, n*m*oh*ow)
	for bn := 0; bn < n; bn++ {
		for o := 0; o < m; o++ {
			for i := 0; i < oh*ow; i++ {
				if b != nil {
					y[(bn*m+o)*oh*ow+i] = float64(b[o])
				}
			}
		}
		for ci := 0; ci < c; ci++ {
			gr := ci / cg
			for om := 0; om < mg; om++ {
				o := gr*mg + om
				for iy := 0; iy < h; iy++ {
					for ix := 0; ix < wd; ix++ {
						for ty := 0; ty < kh; ty++ {
							for tx := 0; tx < kw; tx++ {
								yy, xx := iy*sh-pt+ty*dh, ix*sw-pl+tx*dw
								if yy < 0 || yy >= oh || xx < 0 || xx >= ow {
									continue
								}
								y[((bn*m+o)*oh+yy)*ow+xx] += float64(x[((bn*c+ci)*h+iy)*wd+ix]) * float64(w[((ci*mg+om)*kh+ty)*kw+tx])
							}
						}
					}
				}
			}
		}
	}
	out := make([]float32, len(y))
	for i, v := range y {
		out[i] = float32(v)
	}
	return out
}

func TestConvTransposeAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		n, c, h, w, mg, group, kh, kw, sh, sw, dh, dw int
		pads, outPad                                  []int
		bias                                          bool
	}{
		{1, 2, 3, 3, 3, 1, 3, 3, 1, 1, 1, 1, []int{0, 0, 0, 0}, []int{0, 0}, true},
		{2, 4, 4, 5, 2, 2, 3, 2, 2, 3, 1, 1, []int{1, 0, 1, 2}, []int{1, 2}, true},
		{1, 3, 5, 4, 2, 1, 2, 3, 3, 2, 2, 1, []int{1, 1, 0, 0}, []int{0, 1}, false},
		{1, 20, 6, 6, 10, 1, 4, 4, 2, 2, 1, 1, []int{1, 1, 1, 1}, []int{0, 0}, true},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randTensor(r, tc.n, tc.c, tc.h, tc.w)
			w := randTensor(r, tc.c, tc.mg, tc.kh, tc.kw)
			inputs := []*tensor.Tensor{x, w}
			var bd []float32
			if tc.bias {
				b := randTensor(r, tc.mg*tc.group)
				inputs = append(inputs, b)
				bd = b.Float32s()
			}
			oh := tc.sh*(tc.h-1) + tc.outPad[0] + (tc.kh-1)*tc.dh + 1 - tc.pads[0] - tc.pads[2]
			ow := tc.sw*(tc.w-1) + tc.outPad[1] + (tc.kw-1)*tc.dw + 1 - tc.pads[1] - tc.pads[3]
			attrs := []onnx.Attribute{
				intsAttr("strides", tc.sh, tc.sw), intsAttr("dilations", tc.dh, tc.dw), intsAttr("pads", tc.pads...),
				intsAttr("output_padding", tc.outPad...), intAttr("group", int64(tc.group)),
			}
			got := runOp(t, "ConvTranspose", 11, attrs, 1, inputs, 1, 2)
			want := naiveConvTranspose(x.Float32s(), w.Float32s(), bd, tc.n, tc.c, tc.h, tc.w, tc.mg, tc.group, tc.kh, tc.kw, tc.sh, tc.sw, tc.dh, tc.dw, tc.pads[0], tc.pads[1], oh, ow)
			checkTensor(t, got[0], []int{tc.n, tc.mg * tc.group, oh, ow}, want, 1e-5)
			// output_shape reproducing the same size gives the same result.
			attrs = append(attrs[:2:2], intsAttr("output_shape", oh, ow), intsAttr("output_padding", tc.outPad...), intAttr("group", int64(tc.group)))
			if tc.pads[0] == tc.pads[2] && tc.pads[1] == tc.pads[3] {
				got := runOp(t, "ConvTranspose", 11, attrs, 1, inputs)
				checkTensor(t, got[0], []int{tc.n, tc.mg * tc.group, oh, ow}, want, 1e-5)
			}
		})
	}
}

func TestConvTransposeOutputShape(t *testing.T) {
	// in 3, stride 3, kernel 3: full size 9; output_shape 10 pads one zero
	// (plus bias) at the end, as in the ONNX backend test.
	x := tensor.MustFromSlice([]float32{1, 2, 3}, 1, 1, 3)
	w := tensor.MustFromSlice([]float32{1, 1, 1}, 1, 1, 3)
	b := tensor.MustFromSlice([]float32{0.5}, 1)
	got := runOp(t, "ConvTranspose", 11, []onnx.Attribute{intsAttr("strides", 3), intsAttr("output_shape", 10)}, 1, []*tensor.Tensor{x, w, b}, 1)
	checkTensor(t, got[0], []int{1, 1, 10}, []float32{1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5, 3.5, 3.5, 0.5}, 0)
	// SAME_UPPER: output in·stride = 6 of full 7 (kernel 3, stride 2):
	// one unit of padding at the end.
	x2 := tensor.MustFromSlice([]float32{1, 2, 3}, 1, 1, 3)
	w2 := tensor.MustFromSlice([]float32{1, 10, 100}, 1, 1, 3)
	got = runOp(t, "ConvTranspose", 11, []onnx.Attribute{intsAttr("strides", 2), stringAttr("auto_pad", "SAME_UPPER")}, 1, []*tensor.Tensor{x2, w2})
	checkTensor(t, got[0], []int{1, 1, 6}, []float32{1, 10, 102, 20, 203, 30}, 0)
}
