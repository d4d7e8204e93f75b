package mathops

import (
	"math"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

func builders(t testing.TB) map[string]kernel.Builder {
	t.Helper()
	m := map[string]kernel.Builder{}
	Register(func(op string, b kernel.Builder) {
		if _, dup := m[op]; dup {
			t.Fatalf("%s registered twice", op)
		}
		m[op] = b
	})
	return m
}

func iattr(name string, v int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func fattr(name string, v float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

func intsAttr(name string, v ...int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

// run builds op at opset with attrs and runs it on inputs.
func run(t *testing.T, op string, opset int64, attrs []onnx.Attribute, inputs ...*tensor.Tensor) (*tensor.Tensor, error) {
	t.Helper()
	b, ok := builders(t)[op]
	if !ok {
		t.Fatalf("operator %s not registered", op)
	}
	n := &onnx.Node{OpType: op, Attrs: attrs, Outputs: []string{"y"}}
	k, err := b(n, opset, make([]*tensor.Tensor, len(inputs)))
	if err != nil {
		return nil, err
	}
	outs, err := k.Run(inputs)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		t.Fatalf("%s returned %d outputs", op, len(outs))
	}
	if err := outs[0].Check(); err != nil {
		t.Fatalf("%s returned a malformed tensor: %v", op, err)
	}
	return outs[0], nil
}

func mustRun(t *testing.T, op string, opset int64, attrs []onnx.Attribute, inputs ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	out, err := run(t, op, opset, attrs, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }
func f64(shape []int, v ...float64) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }
func i32(shape []int, v ...int32) *tensor.Tensor   { return tensor.MustFromSlice(v, shape...) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.MustFromSlice(v, shape...) }

func sh(d ...int) []int { return d }

// wantTensor compares dtype, shape and values (floats within tol, NaN == NaN).
func wantTensor(t *testing.T, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got.DType != want.DType {
		t.Fatalf("dtype %s, want %s", got.DType, want.DType)
	}
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, err := toFloat64s(got)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := toFloat64s(want)
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
			continue
		}
		if g[i] == w[i] {
			continue
		}
		if !(math.Abs(g[i]-w[i]) <= tol*(1+math.Abs(w[i]))) {
			t.Fatalf("element %d is %v, want %v (got %v)", i, g[i], w[i], got.Data)
		}
	}
}
