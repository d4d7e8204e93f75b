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

// naivePool2D is the reference 2-D pool: pads given, output size given.
func naivePool2D(x []float32, planes, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow int, isMax, includePad bool) ([]float32, []int64) {
	y := make([]float32, planes*oh*ow)
	idx := make([]int64, planes*oh*ow)
	for p := 0; p < planes; p++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best, at := float32(math.Inf(-1)), -1
				var sum float64
				cnt, padCnt := 0, 0
				for ty := 0; ty < kh; ty++ {
					for tx := 0; tx < kw; tx++ {
						yy, xx := oy*sh-pt+ty*dh, ox*sw-pl+tx*dw
						if yy >= -pt && yy < h+pb && xx >= -pl && xx < w+pr {
							padCnt++
						}
						if yy < 0 || yy >= h || xx < 0 || xx >= w {
							continue
						}
						v := x[(p*h+yy)*w+xx]
						cnt++
						sum += float64(v)
						if at < 0 || v > best {
							best, at = v, (p*h+yy)*w+xx
						}
					}
				}
				o := (p*oh+oy)*ow + ox
				if isMax {
					y[o], idx[o] = best, int64(at)
				} else if includePad {
					y[o] = float32(sum / float64(padCnt))
				} else {
					y[o] = float32(sum / float64(cnt))
				}
			}
		}
	}
	return y, idx
}

func TestPoolAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	cases := []struct {
		h, w, kh, kw, sh, sw, dh, dw int
		pads                         []int
		ceil                         bool
	}{
		{6, 6, 2, 2, 2, 2, 1, 1, []int{0, 0, 0, 0}, false},
		{7, 7, 3, 3, 2, 2, 1, 1, []int{0, 0, 0, 0}, true},
		{7, 8, 3, 2, 2, 3, 1, 1, []int{1, 0, 1, 1}, true},
		{9, 9, 3, 3, 1, 1, 2, 2, []int{1, 1, 1, 1}, false},
		{5, 5, 5, 5, 1, 1, 1, 1, []int{2, 2, 2, 2}, false},
		{8, 5, 3, 3, 3, 2, 1, 1, []int{1, 1, 0, 0}, true},
	}
	for i, tc := range cases {
		for _, op := range []string{"MaxPool", "AveragePool"} {
			for _, include := range []bool{false, true} {
				if (op == "MaxPool" || tc.dh > 1) && include {
					continue
				}
				if op == "AveragePool" && tc.dh > 1 {
					continue
				}
				t.Run(fmt.Sprintf("%s_%d_include%v", op, i, include), func(t *testing.T) {
					x := randTensor(r, 2, 3, tc.h, tc.w)
					attrs := []onnx.Attribute{
						intsAttr("kernel_shape", tc.kh, tc.kw), intsAttr("strides", tc.sh, tc.sw),
						intsAttr("pads", tc.pads...), intAttr("ceil_mode", int64(boolInt(tc.ceil))),
					}
					nOut := 1
					if op == "MaxPool" {
						attrs = append(attrs, intsAttr("dilations", tc.dh, tc.dw))
						nOut = 2
					} else {
						attrs = append(attrs, intAttr("count_include_pad", int64(boolInt(include))))
					}
					size := func(in, k, s, d, p0, p1 int) int {
						span := in + p0 + p1 - ((k-1)*d + 1)
						o := span/s + 1
						if tc.ceil && span%s != 0 && o*s < in+p0 {
							o++
						}
						return o
					}
					oh := size(tc.h, tc.kh, tc.sh, tc.dh, tc.pads[0], tc.pads[2])
					ow := size(tc.w, tc.kw, tc.sw, tc.dw, tc.pads[1], tc.pads[3])
					got := runOp(t, op, 12, attrs, nOut, []*tensor.Tensor{x})
					want, idx := naivePool2D(x.Float32s(), 6, tc.h, tc.w, tc.kh, tc.kw, tc.sh, tc.sw, tc.dh, tc.dw, tc.pads[0], tc.pads[1], tc.pads[2], tc.pads[3], oh, ow, op == "MaxPool", include)
					checkTensor(t, got[0], []int{2, 3, oh, ow}, want, 1e-6)
					if op == "MaxPool" {
						if fmt.Sprint(got[1].Int64s()) != fmt.Sprint(idx) {
							t.Fatalf("indices %v, want %v", got[1].Int64s(), idx)
						}
					}
				})
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPoolSmall(t *testing.T) {
	x := tensor.MustFromSlice([]float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9}, 1, 1, 3, 3)
	cases := []struct {
		op    string
		attrs []onnx.Attribute
		shape []int
		want  []float32
	}{
		{"MaxPool", []onnx.Attribute{intsAttr("kernel_shape", 2, 2)}, []int{1, 1, 2, 2}, []float32{5, 6, 8, 9}},
		{"MaxPool", []onnx.Attribute{intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2), intAttr("ceil_mode", 1)}, []int{1, 1, 2, 2}, []float32{5, 6, 8, 9}},
		{"AveragePool", []onnx.Attribute{intsAttr("kernel_shape", 2, 2), stringAttr("auto_pad", "SAME_UPPER")}, []int{1, 1, 3, 3}, []float32{3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9}},
		{"AveragePool", []onnx.Attribute{intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1), intAttr("count_include_pad", 1), intsAttr("strides", 2, 2)}, []int{1, 1, 2, 2}, []float32{12.0 / 9, 16.0 / 9, 24.0 / 9, 28.0 / 9}},
		{"GlobalAveragePool", nil, []int{1, 1, 1, 1}, []float32{5}},
		{"GlobalMaxPool", nil, []int{1, 1, 1, 1}, []float32{9}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i, tc.op), func(t *testing.T) {
			got := runOp(t, tc.op, 12, tc.attrs, 1, []*tensor.Tensor{x})
			checkTensor(t, got[0], tc.shape, tc.want, 1e-6)
		})
	}
	// Column-major indices (storage_order=1): maximum 9 at (2,2) -> 8, 6 at
	// (1,2) -> 1 + 2·3 = 7.
	got := runOp(t, "MaxPool", 12, []onnx.Attribute{intsAttr("kernel_shape", 2, 2), intAttr("storage_order", 1)}, 2, []*tensor.Tensor{x})
	if s := fmt.Sprint(got[1].Int64s()); s != "[4 7 5 8]" {
		t.Fatalf("column-major indices %s, want [4 7 5 8]", s)
	}
}

func TestBatchNormalization(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x := randTensor(r, 2, 3, 4, 5)
	scale := randTensor(r, 3)
	bias := randTensor(r, 3)
	mean := randTensor(r, 3)
	v := tensor.MustFromSlice([]float32{0.5, 1, 2}, 3)
	for _, opset := range []int64{7, 9, 14, 15} {
		t.Run(fmt.Sprint("opset", opset), func(t *testing.T) {
			got := runOp(t, "BatchNormalization", opset, []onnx.Attribute{floatAttr("epsilon", 1e-3)}, 1, []*tensor.Tensor{x, scale, bias, mean, v}, 1, 2, 3, 4)
			want := make([]float32, x.Len())
			for i, xv := range x.Float32s() {
				c := i / 20 % 3
				want[i] = float32(float64(scale.Float32s()[c])*(float64(xv)-float64(mean.Float32s()[c]))/math.Sqrt(float64(v.Float32s()[c])+1e-3) + float64(bias.Float32s()[c]))
			}
			checkTensor(t, got[0], x.Shape, want, 1e-5)
		})
	}
	builders := map[string]kernel.Builder{}
	Register(func(name string, b kernel.Builder) { builders[name] = b })
	n := &onnx.Node{OpType: "BatchNormalization", Attrs: []onnx.Attribute{intAttr("training_mode", 1)}, Outputs: []string{"y"}}
	if _, err := builders["BatchNormalization"](n, 15, nil); err == nil || !strings.Contains(err.Error(), "training_mode") {
		t.Fatalf("training_mode=1: error %v, want one naming training_mode", err)
	}
}

func TestLRN(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	x := randTensor(r, 2, 5, 3, 2)
	size, alpha, beta, bias := 3, 0.002, 0.5, 2.0
	got := runOp(t, "LRN", 13, []onnx.Attribute{intAttr("size", int64(size)), floatAttr("alpha", float32(alpha)), floatAttr("beta", float32(beta)), floatAttr("bias", float32(bias))}, 1, []*tensor.Tensor{x})
	xd := x.Float32s()
	want := make([]float32, len(xd))
	for i := range xd {
		c := i / 6 % 5
		var sq float64
		for cc := c - 1; cc <= c+1; cc++ {
			if cc >= 0 && cc < 5 {
				v := float64(xd[i+(cc-c)*6])
				sq += v * v
			}
		}
		want[i] = float32(float64(xd[i]) / math.Pow(bias+float64(float32(alpha))/float64(size)*sq, beta))
	}
	checkTensor(t, got[0], x.Shape, want, 1e-6)
}

func TestGemmOp(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	cases := []struct {
		m, n, k        int
		transA, transB bool
		alpha, beta    float32
		cShape         []int
	}{
		{3, 4, 5, false, false, 1, 1, nil},
		{3, 4, 5, true, true, 0.5, 2, []int{4}},
		{7, 9, 300, false, true, 1, 1, []int{7, 1}},
		{1, 40, 70, false, true, 2, 0.5, []int{1, 40}},
		{1, 40, 70, false, false, 1, 1, []int{}},
		{1, 33, 20, true, false, 1, 1, []int{1}},
		{20, 50, 600, false, false, 1, 0, []int{20, 50}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ash, bsh := []int{tc.m, tc.k}, []int{tc.k, tc.n}
			if tc.transA {
				ash = []int{tc.k, tc.m}
			}
			if tc.transB {
				bsh = []int{tc.n, tc.k}
			}
			a, b := randTensor(r, ash...), randTensor(r, bsh...)
			inputs := []*tensor.Tensor{a, b}
			want := make([]float32, tc.m*tc.n)
			if tc.cShape != nil {
				c := randTensor(r, tc.cShape...)
				inputs = append(inputs, c)
				cm, cn := 1, 1
				if len(tc.cShape) == 2 {
					cm, cn = tc.cShape[0], tc.cShape[1]
				} else if len(tc.cShape) == 1 {
					cn = tc.cShape[0]
				}
				for i := 0; i < tc.m; i++ {
					for j := 0; j < tc.n; j++ {
						want[i*tc.n+j] = tc.beta * c.Float32s()[(i%cm)*cn+j%cn]
					}
				}
			}
			naiveGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.Float32s(), ash[1], b.Float32s(), bsh[1], want, tc.n, true)
			attrs := []onnx.Attribute{intAttr("transA", int64(boolInt(tc.transA))), intAttr("transB", int64(boolInt(tc.transB))), floatAttr("alpha", tc.alpha), floatAttr("beta", tc.beta)}
			got := runOp(t, "Gemm", 13, attrs, 1, inputs, 1, 2)
			checkTensor(t, got[0], []int{tc.m, tc.n}, want, 1e-5*math.Sqrt(float64(tc.k)))
		})
	}
}

func TestMatMulOp(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	cases := []struct {
		a, b, want []int
	}{
		{[]int{3, 4}, []int{4, 5}, []int{3, 5}},
		{[]int{4}, []int{4, 5}, []int{5}},
		{[]int{3, 4}, []int{4}, []int{3}},
		{[]int{4}, []int{4}, []int{}},
		{[]int{2, 3, 4}, []int{4, 5}, []int{2, 3, 5}},
		{[]int{2, 1, 3, 4}, []int{5, 4, 6}, []int{2, 5, 3, 6}},
		{[]int{4}, []int{3, 4, 2}, []int{3, 2}},
		{[]int{3, 1, 40}, []int{1, 40, 30}, []int{3, 1, 30}},
		{[]int{1, 1, 300}, []int{300, 17}, []int{1, 1, 17}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%d_%v_%v", i, tc.a, tc.b), func(t *testing.T) {
			a, b := randTensor(r, tc.a...), randTensor(r, tc.b...)
			got := runOp(t, "MatMul", 13, nil, 1, []*tensor.Tensor{a, b}, 1)
			// Reference through float64 with explicit broadcasting.
			p, err := planMatMul(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			ad, bd := make([]float64, a.Len()), make([]float64, b.Len())
			for i, v := range a.Float32s() {
				ad[i] = float64(v)
			}
			for i, v := range b.Float32s() {
				bd[i] = float64(v)
			}
			y := make([]float64, len(p.aOff)*p.m*p.n)
			naiveMatMul(p, ad, bd, y)
			want := make([]float32, len(y))
			for i, v := range y {
				want[i] = float32(v)
			}
			checkTensor(t, got[0], tc.want, want, 1e-5*math.Sqrt(float64(p.k)))
		})
	}
	if _, err := planMatMul([]int{2, 3, 4}, []int{3, 4, 5}); err == nil {
		t.Fatal("batch 2 vs 3 broadcast without error")
	}
	if _, err := planMatMul([]int{3, 4}, []int{5, 6}); err == nil || !strings.Contains(err.Error(), "inner dimensions") {
		t.Fatalf("inner mismatch: error %v", err)
	}
	// Integer MatMul.
	ai := tensor.MustFromSlice([]int64{1, 2, 3, 4}, 2, 2)
	bi := tensor.MustFromSlice([]int64{5, 6, 7, 8}, 2, 2)
	got := runOp(t, "MatMul", 13, nil, 1, []*tensor.Tensor{ai, bi})
	if s := fmt.Sprint(got[0].Int64s()); s != "[19 22 43 50]" {
		t.Fatalf("int64 matmul %s", s)
	}
}

// TestDeterministicAcrossGoroutines runs a conv with 1 and 2 goroutines.
func TestDeterministicAcrossGoroutines(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	x, w, b := randTensor(r, 1, 32, 30, 30), randTensor(r, 48, 32, 3, 3), randTensor(r, 48)
	attrs := []onnx.Attribute{intsAttr("pads", 1, 1, 1, 1)}
	ref := runOp(t, "Conv", 11, attrs, 1, []*tensor.Tensor{x, w, b}, 1)
	for _, procs := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(procs), func(t *testing.T) {
			prev := setProcs(procs)
			defer setProcs(prev)
			got := runOp(t, "Conv", 11, attrs, 1, []*tensor.Tensor{x, w, b}, 1)
			if !sameBits(got[0], ref[0]) {
				t.Fatal("result depends on the number of goroutines")
			}
		})
	}
}
