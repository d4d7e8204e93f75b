package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/field"
)

const validSpec = `apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata:
  name: vgg16
spec:
  model:
    path: models/vgg16.onnx
  sourceNode:
    hostname: vm0
  input:
    size: 150528
`

func TestExampleSpecsValidate(t *testing.T) {
	files, err := filepath.Glob("../../specs/*/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example specs: %v (found %d)", err, len(files))
	}
	for _, f := range files {
		if filepath.Base(f) == "nodes.yaml" {
			continue // the local runtime's simulated nodes, not a spec
		}
		t.Run(f, func(t *testing.T) {
			docs, err := LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				d.Object.Default()
				if errs := d.Object.Validate(); len(errs) > 0 {
					t.Errorf("document %d: %v", d.Index, errs.ToAggregate())
				}
				if want := filepath.Join(filepath.Dir(f), d.Object.Spec.Model.Path); d.ModelPath() != want {
					t.Errorf("model path %q not resolved against the spec's directory", d.ModelPath())
				}
			}
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want are substrings every one of which must appear in the error.
		want []string
	}{
		{"unknown field", strings.Replace(validSpec, "sourceNode:", "sourceNod:", 1),
			[]string{"spec.yaml: document 1", "spec.sourceNod: Unknown field"}},
		{"mistyped field", validSpec + "  batchSize: four\n",
			[]string{"spec.batchSize: Invalid type", "expected integer, got string"}},
		{"several problems at once", validSpec + "  batchSize: [1]\n  suspend: 3\n  gateway: {prot: 1}\n",
			[]string{"spec.batchSize", "spec.suspend", "spec.gateway.prot: Unknown field"}},
		{"case mismatch suggests", strings.Replace(validSpec, "sourceNode:", "SourceNode:", 1),
			[]string{`did you mean "sourceNode"?`}},
		{"bad duration", validSpec + "  benchmark: {maxAge: soon}\n", []string{"spec.benchmark.maxAge: Invalid type"}},
		{"duplicate key", validSpec + "  objective: latency\n  objective: throughput\n", []string{"objective"}},
		{"wrong kind", strings.Replace(validSpec, "kind: DistributedModel", "kind: Deployment", 1),
			[]string{`kind: Unsupported value: "Deployment"`}},
		{"second document bad", validSpec + "---\n" + strings.Replace(validSpec, "name: vgg16", "nam: x", 1),
			[]string{"document 2 (line 13)", "metadata.nam: Unknown field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.yaml), "spec.yaml")
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDecodeMultiDocument(t *testing.T) {
	data := "# leading comment\n---\n" + validSpec + "---\n# only a comment\n---\n" +
		strings.Replace(validSpec, "name: vgg16", "name: second", 1) + "...\n"
	docs, err := Decode([]byte(data), "dir/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Object.Name != "vgg16" || docs[1].Object.Name != "second" {
		t.Fatalf("got %d documents", len(docs))
	}
	if got := docs[1].ModelPath(); got != filepath.Join("dir", "models", "vgg16.onnx") {
		t.Errorf("model path %q", got)
	}
	if _, err := Decode([]byte("# nothing\n"), "empty.yaml"); err == nil {
		t.Error("a file without documents must be an error")
	}
}

func TestVerifyModelFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, []byte("model"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("model"))
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name, path, sum string
		wantErr         bool
		checksum        bool
	}{
		{"exists", path, "", false, false},
		{"pinned and matching", path, strings.ToUpper(good), false, false},
		{"pinned and different", path, strings.Repeat("0", 64), true, true},
		{"missing", filepath.Join(dir, "nope.onnx"), "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyModelFile(tt.path, tt.sum)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, ErrModelChecksum) != tt.checksum {
				t.Errorf("errors.Is(ErrModelChecksum) = %v", !tt.checksum)
			}
		})
	}
}

func TestFieldPathRendering(t *testing.T) {
	p := field.NewPath("spec", "constraints").Child("pins").Index(2).Child("node").Child("selector").Key("zone")
	if got, want := p.String(), "spec.constraints.pins[2].node.selector[zone]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
