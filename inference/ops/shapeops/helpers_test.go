package shapeops

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// opCase is one table entry: build op at opset with attrs, run on in, and
// expect want (or an error containing err).
type opCase struct {
	name  string
	op    string
	opset int64
	attrs []onnx.Attribute
	in    []*tensor.Tensor
	nout  int
	want  []*tensor.Tensor
	err   string
}

func registry() map[string]kernel.Builder {
	m := map[string]kernel.Builder{}
	Register(func(op string, b kernel.Builder) {
		if _, dup := m[op]; dup {
			panic("duplicate " + op)
		}
		m[op] = b
	})
	return m
}

func runCases(t *testing.T, cases []opCase) {
	t.Helper()
	reg := registry()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, ok := reg[c.op]
			if !ok {
				t.Fatalf("operator %s not registered", c.op)
			}
			nout := c.nout
			if nout == 0 {
				nout = len(c.want)
			}
			if nout == 0 {
				nout = 1
			}
			n := &onnx.Node{OpType: c.op, Attrs: c.attrs}
			for i := range c.in {
				n.Inputs = append(n.Inputs, fmt.Sprint("in", i))
			}
			for i := 0; i < nout; i++ {
				n.Outputs = append(n.Outputs, fmt.Sprint("out", i))
			}
			opset := c.opset
			if opset == 0 {
				opset = 17
			}
			consts := make([]*tensor.Tensor, len(c.in))
			k, err := b(n, opset, consts)
			var got []*tensor.Tensor
			if err == nil {
				got, err = k.Run(c.in)
			}
			if c.err != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got outputs %v", c.err, got)
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %q does not contain %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d outputs, want %d", len(got), len(c.want))
			}
			for i := range got {
				if err := sameTensor(got[i], c.want[i]); err != nil {
					t.Errorf("output %d: %v", i, err)
				}
			}
		})
	}
}

// sameTensor compares type, shape and data; NaNs compare equal to NaNs.
func sameTensor(got, want *tensor.Tensor) error {
	if got == nil {
		return fmt.Errorf("nil output")
	}
	if err := got.Check(); err != nil && got.DType != tensor.BFloat16 {
		return fmt.Errorf("malformed output: %v", err)
	}
	if got.DType != want.DType || !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	switch w := want.Data.(type) {
	case []float32:
		g := got.Data.([]float32)
		for i := range w {
			if g[i] != w[i] && !(g[i] != g[i] && w[i] != w[i]) {
				return fmt.Errorf("got %v, want %v", g, w)
			}
		}
		return nil
	case []float64:
		g := got.Data.([]float64)
		for i := range w {
			if g[i] != w[i] && !(math.IsNaN(g[i]) && math.IsNaN(w[i])) {
				return fmt.Errorf("got %v, want %v", g, w)
			}
		}
		return nil
	}
	if got.Len() == 0 {
		return nil // shapes and types matched; nil and empty slices are alike
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		return fmt.Errorf("got %v, want %v", got.Data, want.Data)
	}
	return nil
}

func tt(data any, shape ...int) *tensor.Tensor { return tensor.MustFromSlice(data, shape...) }

func f32(shape []int, v ...float32) *tensor.Tensor { return tt(v, shape...) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tt(v, shape...) }
func i32(shape []int, v ...int32) *tensor.Tensor   { return tt(v, shape...) }
func vec(v ...int64) *tensor.Tensor                { return tt(v, len(v)) }

// seq returns a float32 tensor holding 0, 1, 2, ... in the given shape.
func seq(shape ...int) *tensor.Tensor {
	v := make([]float32, tensor.NumElements(shape))
	for i := range v {
		v[i] = float32(i)
	}
	return tt(v, shape...)
}

func ts(t ...*tensor.Tensor) []*tensor.Tensor { return t }

func aInt(name string, v int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func aInts(name string, v ...int64) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

func aFloat(name string, v float32) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

func aStr(name, v string) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

func aTensor(name string, v *tensor.Tensor) onnx.Attribute {
	return onnx.Attribute{Name: name, Type: onnx.AttrTensor, T: v}
}

func attrs(a ...onnx.Attribute) []onnx.Attribute { return a }

func sh(d ...int) []int { return d }
