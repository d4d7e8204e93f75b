package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// loadModelFile decodes an ONNX file and returns it with the file's sha256.
func loadModelFile(path string) (*onnx.Model, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return m, hex.EncodeToString(sum[:]), nil
}

// analyzeModelFile loads an ONNX file and splits it into units for the
// given --input-shape flags; it also returns the file's sha256.
func analyzeModelFile(ctx context.Context, path string, shapeFlags []string) (*slice.Analysis, string, error) {
	m, sum, err := loadModelFile(path)
	if err != nil {
		return nil, "", err
	}
	shapes, err := parseShapes(shapeFlags)
	if err != nil {
		return nil, "", err
	}
	a, err := slice.Analyze(ctx, m, shapes)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return a, sum, nil
}

// parseShapes parses repeated "name=1x3x224x224" flags.
func parseShapes(specs []string) (map[string][]int, error) {
	out := map[string][]int{}
	for _, s := range specs {
		name, dims, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input-shape %q: want NAME=D1xD2x...", s)
		}
		var shape []int
		for _, d := range strings.Split(dims, "x") {
			v, err := strconv.Atoi(d)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("--input-shape %q: bad dimension %q", s, d)
			}
			shape = append(shape, v)
		}
		out[name] = shape
	}
	return out, nil
}

// readNpyInputs reads "-i" values: "path.npy" for the only input, or
// "name=path.npy" for each input by name.
func readNpyInputs(cmd *cobra.Command, specs []string, inputNames []string) (map[string]*tensor.Tensor, error) {
	out := map[string]*tensor.Tensor{}
	for _, s := range specs {
		name, path, named := strings.Cut(s, "=")
		if !named {
			path = s
			if len(inputNames) != 1 {
				return nil, fmt.Errorf("-i %s: the model has %d inputs (%s): give NAME=FILE.npy", s, len(inputNames), strings.Join(inputNames, ", "))
			}
			name = inputNames[0]
		}
		data, err := readDataFile(cmd, path)
		if err != nil {
			return nil, err
		}
		t, err := npy.DecodeBytes(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[name] = t
	}
	return out, nil
}

// writeNpy writes t to path atomically, or to standard output for "-".
func writeNpy(cmd *cobra.Command, path string, t *tensor.Tensor) error {
	data, err := npy.EncodeBytes(t)
	if err != nil {
		return fmt.Errorf("%s: %w", displayPath(path), err)
	}
	return writeDataFile(cmd, path, data)
}
