package distributedmodel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func TestInputShape(t *testing.T) {
	fixed := onnx.TensorValueInfo("input", tensor.Float32, []int{1, 3, 224, 224})
	symbolic := fixed
	symbolic.Shape = append([]onnx.Dim{{Param: "batch"}}, fixed.Shape[1:]...)
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	tests := []struct {
		name    string
		input   onnx.ValueInfo
		spec    v1alpha1.DistributedModelSpec
		want    string
		wantErr string
	}{
		{"fixed shape, size matches", fixed, v1alpha1.DistributedModelSpec{Input: v1alpha1.InputSpec{Size: i64(150528)}}, "[1 3 224 224]", ""},
		{"fixed shape, size differs", fixed, v1alpha1.DistributedModelSpec{Input: v1alpha1.InputSpec{Size: i64(602112)}}, "",
			"spec.input.size is 602112, but the model's input \"input\" of shape [1 3 224 224] has 150528 elements"},
		{"symbolic batch from batchSize", symbolic, v1alpha1.DistributedModelSpec{BatchSize: i32(4), Input: v1alpha1.InputSpec{Size: i64(602112)}}, "[4 3 224 224]", ""},
		{"explicit shape", symbolic, v1alpha1.DistributedModelSpec{Input: v1alpha1.InputSpec{Shape: []int64{2, 3, 224, 224}}}, "[2 3 224 224]", ""},
		{"explicit shape contradicts the model", fixed, v1alpha1.DistributedModelSpec{Input: v1alpha1.InputSpec{Shape: []int64{1, 3, 32, 32}}}, "",
			"dimension 2 is 224"},
		{"explicit shape of another rank", fixed, v1alpha1.DistributedModelSpec{Input: v1alpha1.InputSpec{Shape: []int64{150528}}}, "", "has rank 1"},
		{"integer input", onnx.TensorValueInfo("ids", tensor.Int64, []int{1, 8}), v1alpha1.DistributedModelSpec{}, "", "papdl's gateway takes float32 inputs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &onnx.Model{Graph: &onnx.Graph{Inputs: []onnx.ValueInfo{tc.input}}}
			_, shape, err := InputShape(m, &tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(shape) != tc.want {
				t.Fatalf("InputShape = %v, %v; want %s", shape, err, tc.want)
			}
		})
	}
	two := &onnx.Model{Graph: &onnx.Graph{Inputs: []onnx.ValueInfo{fixed, onnx.TensorValueInfo("mask", tensor.Float32, []int{1})}}}
	if _, _, err := InputShape(two, &v1alpha1.DistributedModelSpec{}); err == nil || !strings.Contains(err.Error(), "2 inputs") {
		t.Errorf("two inputs: err = %v", err)
	}
}
