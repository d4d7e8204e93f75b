package commands

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: Bad_Name}
spec:
  model: {path: m.onnx}
  sourceNode: {}
  input: {size: 0}
---
apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: x}
spec:
  sourceNod: {hostname: vm0}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	pinned := filepath.Join(dir, "pinned.yaml")
	if err := os.WriteFile(pinned, []byte(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: pinned}
spec:
  model: {path: missing.onnx, sha256: `+strings.Repeat("ab", 32)+`}
  sourceNode: {hostname: vm0}
  input: {size: 784}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	twin := func(name string, port int) string {
		path := filepath.Join(dir, name+".yaml")
		doc := "apiVersion: papdl.io/v1alpha1\nkind: DistributedModel\nmetadata: {name: " + name + "}\nspec:\n" +
			"  model: {path: m.onnx}\n  sourceNode: {hostname: vm0}\n  input: {size: 784}\n  gateway: {port: " + strconv.Itoa(port) + "}\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first, second, elsewhere := twin("first", 9100), twin("second", 9100), twin("elsewhere", 9101)
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr bool
	}{
		{"two gateways on one port", []string{"validate", "-f", first, "-f", second},
			[]string{"port 9100 on host vm0 is already published by model first"}, true},
		{"different ports", []string{"validate", "-f", first, "-f", elsewhere}, []string{`"elsewhere": valid`}, false},
		{"examples", []string{"validate", "-f", "../../../specs/swarm/mnist.yaml", "-f", "../../../specs/swarm/vgg16.yaml", "-f", "../../../specs/swarm/resnet18.yaml", "-f", "../../../specs/local/resnet18.yaml"},
			[]string{`"mnist": valid`, `"vgg16": valid`, `"vgg16-latency": valid`, `"resnet18": valid`, `"resnet18-demo": valid`}, false},
		{"examples with files", []string{"validate", "-f", "../../../specs/swarm/mnist.yaml", "--check-files"},
			[]string{"spec.model.path: model file"}, true},
		{"every problem", []string{"validate", "-f", bad},
			[]string{"metadata.name", "spec.sourceNode: Required value", "spec.input.size", "document 2 (line 9)",
				"spec.sourceNod: Unknown field"}, true},
		{"pinned model must exist", []string{"validate", "-f", pinned}, []string{"missing.onnx"}, true},
		// Like apply -f DIR: every spec file of the directory (issue 15).
		{"a directory", []string{"validate", "-f", "../../../specs/swarm"}, []string{`"mnist": valid`, `"vgg16": valid`}, false},
		{"a directory with problems", []string{"validate", "-f", dir}, []string{"metadata.name", `"elsewhere": valid`,
			"port 9100 on host vm0"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
