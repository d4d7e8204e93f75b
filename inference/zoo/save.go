package zoo

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/papdl/papdl/inference/onnx"
)

// WriteFile generates arch with opts and saves it as an ONNX file at path.
func WriteFile(path, arch string, opts Options) error {
	m, err := Generate(arch, opts)
	if err != nil {
		return err
	}
	if err := onnx.Save(path, m); err != nil {
		return fmt.Errorf("zoo: save %s: %w", arch, err)
	}
	return nil
}

// WriteDir saves each of archs (all of Archs when empty) as DIR/ARCH.onnx,
// creating dir, and returns the paths written.
func WriteDir(dir string, archs []string, opts Options) ([]string, error) {
	if len(archs) == 0 {
		archs = Archs()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}
	var paths []string
	for _, arch := range archs {
		path := filepath.Join(dir, arch+".onnx")
		if err := WriteFile(path, arch, opts); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
