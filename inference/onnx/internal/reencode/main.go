// Command reencode decodes ONNX models with papdl's codec and writes them
// back with its encoder, for cross-checking the output with the reference
// implementation (hack/onnx-roundtrip-check.py):
//
//	go run ./inference/onnx/internal/reencode -o /tmp/out a.onnx b.onnx
//	/usr/bin/python3 hack/onnx-roundtrip-check.py /tmp/out/*.onnx
//
// Output files are named after the input's directory and file name
// (test_abs/model.onnx -> test_abs.model.onnx) so that the many model.onnx
// files of the ONNX test data do not collide.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/papdl/papdl/inference/onnx"
)

func main() {
	out := flag.String("o", "", "output directory (created if missing)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: reencode -o DIR model.onnx...")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "reencode:", err)
		os.Exit(1)
	}
}

func run(dir string, paths []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range paths {
		m, err := onnx.Load(p)
		if err != nil {
			return err
		}
		name := filepath.Base(filepath.Dir(p)) + "." + filepath.Base(p)
		if err := onnx.Save(filepath.Join(dir, name), m); err != nil {
			return err
		}
	}
	return nil
}
