package mathops

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// naiveSoftmax normalises x (shape s) over the given set of axes, visiting
// every group of elements that differ only along those axes.
func naiveSoftmax(x []float64, s []int, over []bool, logOut bool) []float64 {
	n := len(x)
	out := make([]float64, n)
	key := func(i int) int { // index with the normalised axes zeroed
		k, mul := 0, 1
		for d := len(s) - 1; d >= 0; d-- {
			c := i % s[d]
			i /= s[d]
			if !over[d] {
				k += c * mul
			}
			mul *= s[d]
		}
		return k
	}
	mx := map[int]float64{}
	for i, v := range x {
		if m, ok := mx[key(i)]; !ok || v > m {
			mx[key(i)] = v
		}
	}
	sum := map[int]float64{}
	for i, v := range x {
		sum[key(i)] += math.Exp(v - mx[key(i)])
	}
	for i, v := range x {
		k := key(i)
		if logOut {
			out[i] = v - mx[k] - math.Log(sum[k])
		} else {
			out[i] = math.Exp(v-mx[k]) / sum[k]
		}
	}
	return out
}

func TestSoftmaxAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	shape := []int{2, 3, 4}
	x := make([]float64, 24)
	for i := range x {
		x[i] = rng.NormFloat64() * 3
	}
	cases := []struct {
		name  string
		opset int64
		axis  *int64
		over  []bool
	}{
		{"v13_default_last", 13, nil, []bool{false, false, true}},
		{"v13_axis0", 13, ptr(0), []bool{true, false, false}},
		{"v13_axis1", 13, ptr(1), []bool{false, true, false}},
		{"v13_axis_neg2", 13, ptr(-2), []bool{false, true, false}},
		{"v11_default_coerce_1", 11, nil, []bool{false, true, true}},
		{"v11_axis0_all", 11, ptr(0), []bool{true, true, true}},
		{"v11_axis2", 11, ptr(2), []bool{false, false, true}},
		{"v1_axis_neg1", 1, ptr(-1), []bool{false, false, true}},
	}
	for _, op := range []string{"Softmax", "LogSoftmax"} {
		for _, c := range cases {
			t.Run(op+"_"+c.name, func(t *testing.T) {
				var attrs []onnx.Attribute
				if c.axis != nil {
					attrs = append(attrs, iattr("axis", *c.axis))
				}
				want := naiveSoftmax(x, shape, c.over, op == "LogSoftmax")
				got := mustRun(t, op, c.opset, attrs, f64(shape, x...))
				wantTensor(t, got, f64(shape, want...), 1e-12)
				got32 := mustRun(t, op, c.opset, attrs, f32(shape, widen[float64, float32](x)...))
				wantTensor(t, got32, f32(shape, widen[float64, float32](want)...), 1e-6)
			})
		}
	}
}

func ptr(v int64) *int64 { return &v }

func TestSoftmaxStableAndDeterministic(t *testing.T) {
	x := f32(sh(1, 4), 1000, 1001, 1002, 1003)
	got := mustRun(t, "Softmax", 13, nil, x)
	want := naiveSoftmax([]float64{0, 1, 2, 3}, sh(1, 4), []bool{false, true}, false)
	wantTensor(t, got, f32(sh(1, 4), widen[float64, float32](want)...), 1e-6)
	lg := mustRun(t, "LogSoftmax", 13, nil, x)
	wantL := naiveSoftmax([]float64{0, 1, 2, 3}, sh(1, 4), []bool{false, true}, true)
	wantTensor(t, lg, f32(sh(1, 4), widen[float64, float32](wantL)...), 1e-6)
	again := mustRun(t, "Softmax", 13, nil, x)
	for i, v := range got.Float32s() {
		if math.Float32bits(v) != math.Float32bits(again.Float32s()[i]) {
			t.Fatalf("element %d differs between runs", i)
		}
	}
}

func TestSoftmaxErrors(t *testing.T) {
	cases := []struct {
		name  string
		opset int64
		axis  int64
		in    *tensor.Tensor
		msg   string
	}{
		{"axis_out_of_range", 13, 3, f32(sh(2, 2), 1, 2, 3, 4), "axis"},
		{"int_input", 13, -1, i32(sh(2), 1, 2), "int32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, "Softmax", c.opset, []onnx.Attribute{iattr("axis", c.axis)}, c.in)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
		})
	}
	t.Run("zero_size", func(t *testing.T) {
		got := mustRun(t, "Softmax", 13, nil, f32(sh(2, 0)))
		if !tensor.SameShape(got.Shape, sh(2, 0)) {
			t.Fatalf("shape %v", got.Shape)
		}
	})
}
