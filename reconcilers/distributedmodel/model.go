package distributedmodel

import (
	"bytes"
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

// DefaultMaxModelBytes bounds a model file unless the reconciler says
// otherwise: ONNX's protobuf encoding cannot exceed 2 GiB without external
// data.
const DefaultMaxModelBytes = 2 << 30

// digest returns the file's sha256, rehashing only when its size or
// modification time changed. The file must be a regular file of at most
// max bytes; the read stops when ctx ends.
func (c *modelCache) digest(ctx context.Context, path string, max int64) (string, error) {
	f, st, err := openModelFile(path, max)
	if err != nil {
		return "", err
	}
	defer f.Close()
	c.mu.Lock()
	d, ok := c.digests[path]
	c.mu.Unlock()
	if ok && d.size == st.Size() && d.mtime.Equal(st.ModTime()) {
		return d.sha, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, io.LimitReader(f, max+1)}); err != nil {
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

// errBadModelFile marks a model path that is not a regular file of a
// bounded size: no retry helps until the spec or the file changes.
var errBadModelFile = errors.New("not a usable model file")

// openModelFile opens path if it is a regular file of at most max bytes.
func openModelFile(path string, max int64) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("model file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("model file: %w", err)
	}
	switch {
	case !st.Mode().IsRegular():
		f.Close()
		return nil, nil, fmt.Errorf("model file %s: %w: it is a %s, not a regular file", path, errBadModelFile, st.Mode().Type())
	case st.Size() > max:
		f.Close()
		return nil, nil, fmt.Errorf("model file %s: %w: %d bytes, more than the %d allowed", path, errBadModelFile, st.Size(), max)
	}
	return f, st, nil
}

// readModelFile reads a regular file of at most max bytes, stopping when
// ctx ends.
func readModelFile(ctx context.Context, path string, max int64) ([]byte, error) {
	f, st, err := openModelFile(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()))
	if _, err := io.Copy(buf, ctxReader{ctx, io.LimitReader(f, max+1)}); err != nil {
		return nil, fmt.Errorf("read model file %s: %w", path, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("model file %s: %w: grew past %d bytes while being read", path, errBadModelFile, max)
	}
	return buf.Bytes(), nil
}

// ctxReader reads until its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > 1<<20 {
		p = p[:1<<20]
	}
	return c.r.Read(p)
}

// analysis returns the sliced analysis of the model file for an input shape.
func (c *modelCache) analysis(ctx context.Context, path, sha string, max int64, inputName string, shape []int) (*slice.Analysis, error) {
	key := fmt.Sprint(inputName, shape)
	c.mu.Lock()
	for _, e := range c.entries {
		if e.sha == sha && e.shapeKey == key {
			c.mu.Unlock()
			return e.analysis, nil
		}
	}
	c.mu.Unlock()
	m, err := loadVerified(ctx, path, sha, max)
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

func loadVerified(ctx context.Context, path, sha string, max int64) (*onnx.Model, error) {
	data, err := readModelFile(ctx, path, max)
	if err != nil {
		return nil, err
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
