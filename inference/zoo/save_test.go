package zoo

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
)

// TestWriteDir saves models, loads them back with the codec and compares
// them with freshly generated ones; ZOO_ONNX_DIR keeps the files (all
// architectures) for hack/zoo-compare.py.
func TestWriteDir(t *testing.T) {
	dir := os.Getenv("ZOO_ONNX_DIR")
	archs := Archs()
	if dir == "" {
		dir = t.TempDir()
		archs = []string{"mnist", "squeezenet1_0"}
	}
	paths, err := WriteDir(dir, archs, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(archs) {
		t.Fatalf("wrote %v for %v", paths, archs)
	}
	for i, arch := range archs {
		t.Run(arch, func(t *testing.T) {
			if paths[i] != filepath.Join(dir, arch+".onnx") {
				t.Fatalf("path %q", paths[i])
			}
			got, err := onnx.Load(paths[i])
			if err != nil {
				t.Fatal(err)
			}
			want, err := Generate(arch, Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got.IRVersion != want.IRVersion || got.ProducerName != want.ProducerName || !reflect.DeepEqual(got.OpsetImports, want.OpsetImports) {
				t.Errorf("header %+v", got)
			}
			if len(got.Graph.Nodes) != len(want.Graph.Nodes) || weightsHash(got) != weightsHash(want) {
				t.Errorf("loaded model differs: %s vs %s", Describe(got), Describe(want))
			}
			for j, n := range want.Graph.Nodes {
				g := got.Graph.Nodes[j]
				if g.Name != n.Name || g.OpType != n.OpType || !reflect.DeepEqual(g.Inputs, n.Inputs) || !reflect.DeepEqual(g.Outputs, n.Outputs) {
					t.Fatalf("node %d: %s %v, want %s %v", j, g.Name, g.Inputs, n.Name, n.Inputs)
				}
			}
		})
	}
}

func TestEncodeDeterministic(t *testing.T) {
	for _, arch := range []string{"mnist", "mobilenetv2"} {
		t.Run(arch, func(t *testing.T) {
			var enc [2][]byte
			for i := range enc {
				m, err := Generate(arch, Options{Seed: 42})
				if err != nil {
					t.Fatal(err)
				}
				if enc[i], err = onnx.Encode(m); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(enc[0], enc[1]) {
				t.Fatalf("same seed, different bytes (%d vs %d)", len(enc[0]), len(enc[1]))
			}
		})
	}
}

func TestWriteFileUnknown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.onnx")
	if err := WriteFile(path, "nope", Options{}); err == nil {
		t.Fatal("no error for an unknown architecture")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file written for an unknown architecture: %v", err)
	}
}
