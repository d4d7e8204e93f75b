package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// externalModel is a graph y = x + w whose initializer w (float32[2, 2])
// lives in a separate file at the given location and offset.
func externalModel(location string, offset int64) *Model {
	return &Model{
		IRVersion:    8,
		OpsetImports: []OpsetID{{Version: 13}},
		Graph: &Graph{
			Name:  "ext",
			Nodes: []*Node{{OpType: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
			Initializers: []*Initializer{{Name: "w", External: &ExternalData{
				Location: location, Offset: offset, Length: 16, DType: tensor.Float32, Shape: []int{2, 2}}}},
			Inputs:  []ValueInfo{TensorValueInfo("x", tensor.Float32, []int{2, 2})},
			Outputs: []ValueInfo{{Name: "y", ElemType: tensor.Float32}},
		},
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	w := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)
	raw, err := w.RawBytes()
	if err != nil {
		t.Fatal(err)
	}
	// The weights file holds 8 bytes of something else first.
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), append(make([]byte, 8), raw...), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := Encode(externalModel("weights.bin", 8))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	init := m.Graph.Initializers[0]
	if init.External != nil || init.Tensor == nil {
		t.Fatalf("initializer not resolved: %+v", init)
	}
	if got := init.Tensor.Float32s(); len(got) != 4 || got[0] != 1 || got[3] != 4 || !tensor.SameShape(init.Tensor.Shape, []int{2, 2}) {
		t.Errorf("w = %v %v, want [1 2 3 4] [2 2]", got, init.Tensor.Shape)
	}
	if _, err := Decode(data); err == nil || !strings.Contains(err.Error(), "EXTERNAL") {
		t.Errorf("Decode without a directory: err = %v, want an EXTERNAL error", err)
	}

	bad := []struct {
		name, location string
		offset         int64
		want           string
	}{
		{"escapes the directory", "../weights.bin", 8, "leaves the model's directory"},
		{"absolute", filepath.Join(dir, "weights.bin"), 8, "leaves the model's directory"},
		{"missing file", "nothing.bin", 0, "no such file"},
		{"short file", "weights.bin", 16, "read 16 bytes"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Encode(externalModel(tc.location, tc.offset))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "bad.onnx")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
