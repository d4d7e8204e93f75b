package engine

import (
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/tensor"
)

// TestFreshOpsAllocateEveryRun audits freshOps kernel by kernel: a step of
// these operators marks its output as memory of its own, which a later
// element-wise step may overwrite in place, so the kernel must never hand
// out memory it keeps (a cached result, a precomputed constant) or the
// memory of an input it was compiled with. Each case runs its kernel twice
// on the same inputs, with the weights known at compile time and, in the
// "all constant" variant, every input known at compile time; the outputs
// of the two runs must not share memory with each other or with a
// constant input. Edge cases are the shapes where a kernel could take a
// shortcut (identity permutations, size-1 axes, scalars, Clip without
// bounds, Pow by 1 and 2). Every freshOps entry needs a case.
func TestFreshOpsAllocateEveryRun(t *testing.T) {
	f32 := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i%7) - 2.5
		}
		return x
	}
	i64 := func(v ...int64) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	ints := func(name string, v ...int64) onnx.Attribute {
		return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
	}
	intAttr := func(name string, v int64) onnx.Attribute {
		return onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
	}
	tests := []struct {
		name   string
		op     string
		inputs []*tensor.Tensor
		// weights are the inputs known at compile time in the first
		// variant (the second knows them all).
		weights []int
		attrs   []onnx.Attribute
	}{
		{"Add", "Add", []*tensor.Tensor{f32(2, 3), f32(2, 3)}, []int{1}, nil},
		{"Add broadcast scalar", "Add", []*tensor.Tensor{f32(2, 3), f32()}, []int{1}, nil},
		{"Add int64", "Add", []*tensor.Tensor{i64(1, 2, 3), i64(4)}, nil, nil},
		{"Sub", "Sub", []*tensor.Tensor{f32(2, 3), f32(1, 3)}, []int{1}, nil},
		{"Mul", "Mul", []*tensor.Tensor{f32(2, 3), f32(2, 3)}, []int{1}, nil},
		{"Mul int64", "Mul", []*tensor.Tensor{i64(1, 2, 3), i64(2)}, nil, nil},
		{"Div", "Div", []*tensor.Tensor{f32(2, 3), f32(3)}, []int{1}, nil},
		{"Pow", "Pow", []*tensor.Tensor{f32(2, 3), tensor.MustFromSlice([]float32{3})}, []int{1}, nil},
		{"Pow by 2", "Pow", []*tensor.Tensor{f32(2, 3), tensor.MustFromSlice([]float32{2})}, []int{1}, nil},
		{"Pow by 1", "Pow", []*tensor.Tensor{f32(2, 3), tensor.MustFromSlice([]float32{1})}, []int{1}, nil},
		{"Clip", "Clip", []*tensor.Tensor{f32(2, 3), tensor.MustFromSlice([]float32{-1}), tensor.MustFromSlice([]float32{1})}, []int{1, 2}, nil},
		{"Clip without bounds", "Clip", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Relu", "Relu", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Relu scalar", "Relu", []*tensor.Tensor{f32()}, nil, nil},
		{"Erf", "Erf", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Sqrt", "Sqrt", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Exp", "Exp", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Tanh", "Tanh", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Sigmoid", "Sigmoid", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Softmax", "Softmax", []*tensor.Tensor{f32(2, 3)}, nil, nil},
		{"Softmax over a size-1 axis", "Softmax", []*tensor.Tensor{f32(3, 1)}, nil, nil},
		{"MatMul", "MatMul", []*tensor.Tensor{f32(2, 3), f32(3, 4)}, []int{1}, nil},
		{"MatMul vector", "MatMul", []*tensor.Tensor{f32(3), f32(3, 4)}, []int{1}, nil},
		{"MatMul batched", "MatMul", []*tensor.Tensor{f32(2, 2, 3), f32(2, 3, 4)}, nil, nil},
		{"Gemm", "Gemm", []*tensor.Tensor{f32(2, 3), f32(4, 3), f32(4)}, []int{1, 2}, []onnx.Attribute{intAttr("transB", 1)}},
		{"Gemm without bias", "Gemm", []*tensor.Tensor{f32(2, 3), f32(3, 4)}, []int{1}, nil},
		{"Conv", "Conv", []*tensor.Tensor{f32(1, 2, 5, 5), f32(3, 2, 3, 3), f32(3)}, []int{1, 2},
			[]onnx.Attribute{ints("pads", 1, 1, 1, 1)}},
		{"Conv 1x1", "Conv", []*tensor.Tensor{f32(1, 4, 3, 3), f32(2, 4, 1, 1)}, []int{1}, nil},
		{"Conv depthwise", "Conv", []*tensor.Tensor{f32(1, 4, 5, 5), f32(4, 1, 3, 3)}, []int{1},
			[]onnx.Attribute{intAttr("group", 4), ints("pads", 1, 1, 1, 1)}},
		{"Conv grouped", "Conv", []*tensor.Tensor{f32(1, 8, 4, 4), f32(8, 2, 3, 3)}, []int{1},
			[]onnx.Attribute{intAttr("group", 4), ints("strides", 2, 2)}},
		{"Transpose", "Transpose", []*tensor.Tensor{f32(2, 3, 4)}, nil, []onnx.Attribute{ints("perm", 2, 0, 1)}},
		{"Transpose identity", "Transpose", []*tensor.Tensor{f32(2, 3)}, nil, []onnx.Attribute{ints("perm", 0, 1)}},
		{"Transpose of size-1 axes", "Transpose", []*tensor.Tensor{f32(1, 3, 1)}, nil, []onnx.Attribute{ints("perm", 2, 1, 0)}},
	}
	covered := map[string]bool{}
	reg := ops.NewRegistry()
	for _, tc := range tests {
		covered[tc.op] = true
		if !freshOps[tc.op] {
			t.Errorf("%s: %s is not in freshOps (a case for nothing)", tc.name, tc.op)
			continue
		}
		for _, allConst := range []bool{false, true} {
			consts := make([]*tensor.Tensor, len(tc.inputs))
			names := make([]string, len(tc.inputs))
			for i := range tc.inputs {
				names[i] = string(rune('a' + i))
			}
			for i, in := range tc.inputs {
				if allConst {
					consts[i] = in
				}
			}
			for _, w := range tc.weights {
				consts[w] = tc.inputs[w]
			}
			n := &onnx.Node{Name: tc.name, OpType: tc.op, Inputs: names, Outputs: []string{"y"}, Attrs: tc.attrs}
			k, err := reg.Build(n, 13, consts)
			if err != nil {
				t.Fatalf("%s: build: %v", tc.name, err)
			}
			first, err := k.Run(tc.inputs)
			if err != nil {
				t.Fatalf("%s: run: %v", tc.name, err)
			}
			second, err := k.Run(tc.inputs)
			if err != nil {
				t.Fatalf("%s: second run: %v", tc.name, err)
			}
			for j := range first {
				if first[j] == nil || second[j] == nil || first[j].Len() == 0 {
					continue
				}
				if overlap(first[j], second[j]) {
					t.Errorf("%s (all constant %v): output %d of two runs shares memory: the kernel keeps its output", tc.name, allConst, j)
				}
				for i, c := range consts {
					if c != nil && c.Len() > 0 && overlap(first[j], c) {
						t.Errorf("%s (all constant %v): output %d shares the memory of constant input %d", tc.name, allConst, j, i)
					}
				}
			}
		}
	}
	for op := range freshOps {
		if !covered[op] {
			t.Errorf("freshOps lists %s without a case here: audit its kernel and add one", op)
		}
	}
}
