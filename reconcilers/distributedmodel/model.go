package distributedmodel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

type fileDigest struct {
	size  int64
	mtime time.Time
	sha   string
}

type cachedModel struct {
	sha      string
	shapeKey string
	analysis *slice.Analysis
}

// maxCachedModels bounds the analyses kept in memory (a VGG16 is 0.5 GB).
const maxCachedModels = 2

// digest returns the file's sha256, rehashing only when its size or
// modification time changed.
func (c *modelCache) digest(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("model file: %w", err)
	}
	c.mu.Lock()
	d, ok := c.digests[path]
	c.mu.Unlock()
	if ok && d.size == st.Size() && d.mtime.Equal(st.ModTime()) {
		return d.sha, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("model file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read model file %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	c.mu.Lock()
	if c.digests == nil {
		c.digests = map[string]fileDigest{}
	}
	c.digests[path] = fileDigest{size: st.Size(), mtime: st.ModTime(), sha: sum}
	c.mu.Unlock()
	return sum, nil
}

// analysis returns the sliced analysis of the model file for an input shape.
func (c *modelCache) analysis(ctx context.Context, path, sha string, inputName string, shape []int) (*slice.Analysis, error) {
	key := fmt.Sprint(inputName, shape)
	c.mu.Lock()
	for _, e := range c.entries {
		if e.sha == sha && e.shapeKey == key {
			c.mu.Unlock()
			return e.analysis, nil
		}
	}
	c.mu.Unlock()
	m, err := loadVerified(path, sha)
	if err != nil {
		return nil, err
	}
	a, err := slice.Analyze(ctx, m, map[string][]int{inputName: shape})
	if err != nil {
		return nil, fmt.Errorf("analyse %s: %w", path, err)
	}
	c.mu.Lock()
	c.entries = append(c.entries, &cachedModel{sha: sha, shapeKey: key, analysis: a})
	if len(c.entries) > maxCachedModels {
		c.entries = c.entries[len(c.entries)-maxCachedModels:]
	}
	c.mu.Unlock()
	return a, nil
}

func loadVerified(path, sha string) (*onnx.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("model file %s changed while being read", path)
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, errInvalidModel, err)
	}
	return m, nil
}

// errInvalidModel marks a model file that cannot be decoded: no retry
// helps until the file changes.
var errInvalidModel = errors.New("not a valid ONNX model")

// InputShape resolves the concrete input shape of a model for a spec: an
// explicit spec.input.shape, or the model's declared shape with its first
// symbolic dimension set to the batch size; spec.input.size must then equal
// the element count. The model must have exactly one runtime input.
func InputShape(m *onnx.Model, spec *v1alpha1.DistributedModelSpec) (string, []int, error) {
	inits := map[string]bool{}
	for _, in := range m.Graph.Initializers {
		inits[in.Name] = true
	}
	var inputs []onnx.ValueInfo
	for _, vi := range m.Graph.Inputs {
		if !inits[vi.Name] {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) != 1 {
		return "", nil, fmt.Errorf("the model has %d inputs; papdl serves models with exactly one", len(inputs))
	}
	vi := inputs[0]
	if vi.ElemType != tensor.Float32 {
		return "", nil, fmt.Errorf("input %q is %s; papdl's gateway takes float32 inputs", vi.Name, vi.ElemType)
	}
	if len(spec.Input.Shape) > 0 {
		shape := make([]int, len(spec.Input.Shape))
		for i, d := range spec.Input.Shape {
			shape[i] = int(d)
		}
		if vi.HasShape && len(vi.Shape) != len(shape) {
			return "", nil, fmt.Errorf("spec.input.shape %v has rank %d, the model's input %q has rank %d", shape, len(shape), vi.Name, len(vi.Shape))
		}
		for i, d := range vi.Shape {
			if d.Known && d.Param == "" && int(d.Value) != shape[i] {
				return "", nil, fmt.Errorf("spec.input.shape %v does not match the model's input %q (dimension %d is %d)", shape, vi.Name, i, d.Value)
			}
		}
		return vi.Name, shape, nil
	}
	if !vi.HasShape {
		return "", nil, fmt.Errorf("the model's input %q has no declared shape: set spec.input.shape", vi.Name)
	}
	batch := 1
	if spec.BatchSize != nil {
		batch = int(*spec.BatchSize)
	}
	shape := make([]int, len(vi.Shape))
	symbolic := 0
	for i, d := range vi.Shape {
		switch {
		case d.Known && d.Param == "":
			shape[i] = int(d.Value)
		case symbolic == 0:
			shape[i] = batch
			symbolic++
		default:
			return "", nil, fmt.Errorf("the model's input %q has several symbolic dimensions: set spec.input.shape", vi.Name)
		}
	}
	if spec.Input.Size != nil && int64(tensor.NumElements(shape)) != *spec.Input.Size {
		return "", nil, fmt.Errorf("spec.input.size is %d, but the model's input %q of shape %v has %d elements",
			*spec.Input.Size, vi.Name, shape, tensor.NumElements(shape))
	}
	return vi.Name, shape, nil
}
