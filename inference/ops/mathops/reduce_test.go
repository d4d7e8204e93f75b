package mathops

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// naiveReduce folds x (shape s) over the marked axes with explicit index
// arithmetic and returns the keepdims-shaped result.
func naiveReduce(x []float64, s []int, red []bool, init float64, step func(a, v float64) float64, final func(a float64, n int) float64) []float64 {
	outShape := make([]int, len(s))
	count := 1
	for i, d := range s {
		outShape[i] = d
		if red[i] {
			outShape[i] = 1
			count *= d
		}
	}
	acc := make([]float64, tensor.NumElements(outShape))
	for i := range acc {
		acc[i] = init
	}
	for i, v := range x {
		o, mul, rem := 0, 1, i
		for d := len(s) - 1; d >= 0; d-- {
			c := rem % s[d]
			rem /= s[d]
			if !red[d] {
				o += c * mul
			}
			mul *= outShape[d]
		}
		acc[o] = step(acc[o], v)
	}
	for i := range acc {
		acc[i] = final(acc[i], count)
	}
	return acc
}

var naiveReducers = map[string]struct {
	init  float64
	step  func(a, v float64) float64
	final func(a float64, n int) float64
}{
	"ReduceSum":       {0, func(a, v float64) float64 { return a + v }, func(a float64, _ int) float64 { return a }},
	"ReduceMean":      {0, func(a, v float64) float64 { return a + v }, func(a float64, n int) float64 { return a / float64(n) }},
	"ReduceProd":      {1, func(a, v float64) float64 { return a * v }, func(a float64, _ int) float64 { return a }},
	"ReduceMax":       {math.Inf(-1), math.Max, func(a float64, _ int) float64 { return a }},
	"ReduceMin":       {math.Inf(1), math.Min, func(a float64, _ int) float64 { return a }},
	"ReduceSumSquare": {0, func(a, v float64) float64 { return a + v*v }, func(a float64, _ int) float64 { return a }},
	"ReduceL1":        {0, func(a, v float64) float64 { return a + math.Abs(v) }, func(a float64, _ int) float64 { return a }},
	"ReduceL2":        {0, func(a, v float64) float64 { return a + v*v }, func(a float64, _ int) float64 { return math.Sqrt(a) }},
	"ReduceLogSum":    {0, func(a, v float64) float64 { return a + v }, func(a float64, _ int) float64 { return math.Log(a) }},
	"ReduceLogSumExp": {0, func(a, v float64) float64 { return a + math.Exp(v) }, func(a float64, _ int) float64 { return math.Log(a) }},
}

func TestReduceRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for _, op := range sortedKeys(naiveReducers) {
		ref := naiveReducers[op]
		t.Run(op, func(t *testing.T) {
			for iter := 0; iter < 150; iter++ {
				r := rng.Intn(5)
				s := make([]int, r)
				for i := range s {
					s[i] = 1 + rng.Intn(4)
				}
				x := make([]float64, tensor.NumElements(s))
				for i := range x {
					x[i] = rng.Float64()*2 + 0.1
				}
				red := make([]bool, r)
				var axes []int64
				for i := range red {
					if rng.Intn(2) == 0 {
						red[i] = true
						a := int64(i)
						if rng.Intn(2) == 0 {
							a -= int64(r)
						}
						axes = append(axes, a)
					}
				}
				if len(axes) == 0 {
					for i := range red {
						red[i] = true
					}
				}
				want := naiveReduce(x, s, red, ref.init, ref.step, ref.final)
				keep := rng.Intn(2) == 0
				var wantShape []int
				for i, d := range s {
					switch {
					case !red[i]:
						wantShape = append(wantShape, d)
					case keep:
						wantShape = append(wantShape, 1)
					}
				}
				k := int64(0)
				if keep {
					k = 1
				}
				// Attribute form (opset 11) and input form (opset 18).
				attrs := []onnx.Attribute{iattr("keepdims", k)}
				if len(axes) > 0 {
					attrs = append(attrs, intsAttr("axes", axes...))
				}
				got := mustRun(t, op, 11, attrs, f64(s, x...))
				wantTensor(t, got, f64(wantShape, want...), 1e-12)
				var axesIn *tensor.Tensor
				if len(axes) > 0 {
					axesIn = i64(sh(len(axes)), axes...)
				}
				got18 := mustRun(t, op, 18, []onnx.Attribute{iattr("keepdims", k)}, f32(s, widen[float64, float32](x)...), axesIn)
				wantTensor(t, got18, f32(wantShape, widen[float64, float32](want)...), 1e-5)
			}
		})
	}
}

func TestReduceHandCases(t *testing.T) {
	x := f32(sh(2, 3), 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name   string
		op     string
		opset  int64
		attrs  []onnx.Attribute
		inputs []*tensor.Tensor
		want   *tensor.Tensor
	}{
		{"mean_all_default", "ReduceMean", 13, nil, []*tensor.Tensor{x}, f32(sh(1, 1), 3.5)},
		{"mean_axis1_drop", "ReduceMean", 13, []onnx.Attribute{intsAttr("axes", 1), iattr("keepdims", 0)}, []*tensor.Tensor{x}, f32(sh(2), 2, 5)},
		{"mean_axis_neg2", "ReduceMean", 13, []onnx.Attribute{intsAttr("axes", -2)}, []*tensor.Tensor{x}, f32(sh(1, 3), 2.5, 3.5, 4.5)},
		{"sum_axes_input", "ReduceSum", 13, nil, []*tensor.Tensor{x, i64(sh(1), 0)}, f32(sh(1, 3), 5, 7, 9)},
		{"sum_no_axes_all", "ReduceSum", 13, []onnx.Attribute{iattr("keepdims", 0)}, []*tensor.Tensor{x}, f32(sh(), 21)},
		{"sum_empty_axes_all", "ReduceSum", 13, nil, []*tensor.Tensor{x, i64(sh(0))}, f32(sh(1, 1), 21)},
		{"sum_noop", "ReduceSum", 13, []onnx.Attribute{iattr("noop_with_empty_axes", 1)}, []*tensor.Tensor{x, i64(sh(0))}, x},
		{"sum_square_noop_v18", "ReduceSumSquare", 18, []onnx.Attribute{iattr("noop_with_empty_axes", 1)}, []*tensor.Tensor{f32(sh(2), -2, 3)}, f32(sh(2), 4, 9)},
		{"sum_v11_attr", "ReduceSum", 11, []onnx.Attribute{intsAttr("axes", 1)}, []*tensor.Tensor{x}, f32(sh(2, 1), 6, 15)},
		{"max_int", "ReduceMax", 13, []onnx.Attribute{intsAttr("axes", 0)}, []*tensor.Tensor{i32(sh(2, 2), -5, 7, -1, 2)}, i32(sh(1, 2), -1, 7)},
		{"min_uint8", "ReduceMin", 13, []onnx.Attribute{iattr("keepdims", 0)}, []*tensor.Tensor{tensor.MustFromSlice([]uint8{9, 200, 3}, 3)}, tensor.MustFromSlice([]uint8{3})},
		{"max_nan", "ReduceMax", 13, nil, []*tensor.Tensor{f32(sh(3), 1, float32(math.NaN()), 2)}, f32(sh(1), float32(math.NaN()))},
		{"sum_int64_exact", "ReduceSum", 13, nil, []*tensor.Tensor{i64(sh(2), 1<<62, 1)}, i64(sh(1), 1<<62+1)},
		{"mean_int", "ReduceMean", 13, nil, []*tensor.Tensor{i32(sh(2), 1, 2)}, i32(sh(1), 1)},
		{"sum_empty_dim", "ReduceSum", 11, []onnx.Attribute{intsAttr("axes", 1)}, []*tensor.Tensor{f32(sh(2, 0))}, f32(sh(2, 1), 0, 0)},
		{"prod_empty_dim", "ReduceProd", 13, []onnx.Attribute{intsAttr("axes", 1), iattr("keepdims", 0)}, []*tensor.Tensor{f32(sh(2, 0))}, f32(sh(2), 1, 1)},
		{"mean_empty_dim_nan", "ReduceMean", 13, []onnx.Attribute{intsAttr("axes", 0)}, []*tensor.Tensor{f32(sh(0))}, f32(sh(1), float32(math.NaN()))},
		{"kept_zero_dim", "ReduceSum", 13, nil, []*tensor.Tensor{f32(sh(0, 2)), i64(sh(1), 1)}, f32(sh(0, 1))},
		{"scalar", "ReduceMean", 13, nil, []*tensor.Tensor{f32(sh(), 4)}, f32(sh(), 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantTensor(t, mustRun(t, c.op, c.opset, c.attrs, c.inputs...), c.want, 1e-7)
		})
	}
}

func TestReduceErrors(t *testing.T) {
	x := f32(sh(2, 3), 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name   string
		op     string
		opset  int64
		attrs  []onnx.Attribute
		inputs []*tensor.Tensor
		msg    string
	}{
		{"axis_range", "ReduceMean", 13, []onnx.Attribute{intsAttr("axes", 2)}, []*tensor.Tensor{x}, "attribute axes"},
		{"axis_repeated", "ReduceMean", 13, []onnx.Attribute{intsAttr("axes", 1, -1)}, []*tensor.Tensor{x}, "repeated"},
		{"axes_input_range", "ReduceSum", 13, nil, []*tensor.Tensor{x, i64(sh(1), -3)}, "input 1 (axes)"},
		{"axes_input_dtype", "ReduceSum", 13, nil, []*tensor.Tensor{x, i32(sh(1), 0)}, "int64"},
		{"string", "ReduceMax", 13, nil, []*tensor.Tensor{tensor.MustFromSlice([]string{"a"}, 1)}, "string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, c.op, c.opset, c.attrs, c.inputs...)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, c.msg)
			}
		})
	}
}
