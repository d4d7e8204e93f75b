package onnx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/papdl/papdl/inference/tensor"
)

// ExternalData locates an initializer's bytes outside the model file
// (TensorProto.data_location = EXTERNAL): Length bytes at Offset in the
// file Location, relative to the model's directory. Length 0 means "to the
// end of the file".
type ExternalData struct {
	Location string
	Offset   int64
	Length   int64
	// DType and Shape are the tensor's, from the TensorProto.
	DType tensor.DType
	Shape []int
}

// Error makes *ExternalData the error that buildTensor returns for an
// external tensor: initializers keep it for Load to resolve; elsewhere it
// is a decode error.
func (e *ExternalData) Error() string {
	return fmt.Sprintf("data_location is EXTERNAL (%q): external data needs the model's directory (onnx.Load)", e.Location)
}

// externalData builds the reference from the external_data entries.
func externalData(tf *tensorFields, shape []int) (*ExternalData, error) {
	e := &ExternalData{DType: tensor.DType(tf.dtype), Shape: shape}
	if !e.DType.Valid() || e.DType == tensor.String {
		return nil, fmt.Errorf("external data of type %s is not supported", onnxTypeName(tf.dtype))
	}
	for _, kv := range tf.externalKV {
		var err error
		switch kv.Key {
		case "location":
			e.Location = kv.Value
		case "offset":
			e.Offset, err = strconv.ParseInt(kv.Value, 10, 64)
		case "length":
			e.Length, err = strconv.ParseInt(kv.Value, 10, 64)
		}
		if err != nil || e.Offset < 0 || e.Length < 0 {
			return nil, fmt.Errorf("external_data %s = %q is not a valid size", kv.Key, kv.Value)
		}
	}
	if e.Location == "" {
		return nil, errors.New("external_data has no location")
	}
	return e, nil
}

// resolveExternal reads every external initializer of m (subgraphs
// included) from files under dir.
func resolveExternal(m *Model, dir string) error {
	var walk func(g *Graph) error
	walk = func(g *Graph) error {
		for _, init := range g.Initializers {
			if init.External == nil {
				continue
			}
			t, err := init.External.read(dir)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", init.Name, err)
			}
			init.Tensor, init.External = t, nil
		}
		for _, n := range g.Nodes {
			for _, a := range n.Attrs {
				for _, sg := range append([]*Graph{a.G}, a.Graphs...) {
					if sg != nil {
						if err := walk(sg); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	if m.Graph == nil {
		return nil
	}
	return walk(m.Graph)
}

// unresolvedExternal returns the first initializer still waiting for its
// external data, or nil.
func unresolvedExternal(g *Graph) *Initializer {
	if g == nil {
		return nil
	}
	for _, init := range g.Initializers {
		if init.External != nil {
			return init
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attrs {
			for _, sg := range append([]*Graph{a.G}, a.Graphs...) {
				if u := unresolvedExternal(sg); u != nil {
					return u
				}
			}
		}
	}
	return nil
}

// read loads the tensor's bytes. Locations must stay inside dir.
func (e *ExternalData) read(dir string) (*tensor.Tensor, error) {
	loc := filepath.Clean(filepath.FromSlash(e.Location))
	if filepath.IsAbs(loc) || loc == ".." || strings.HasPrefix(loc, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("external data location %q leaves the model's directory", e.Location)
	}
	f, err := os.Open(filepath.Join(dir, loc))
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	defer f.Close()
	n := tensor.NumElements(e.Shape)
	size := int64(e.DType.Size())
	if int64(n) > math.MaxInt64/max(size, 1) {
		return nil, fmt.Errorf("external data: shape %v is too large", e.Shape)
	}
	want := int64(n) * size
	if e.Length != 0 && e.Length != want {
		return nil, fmt.Errorf("external data: length %d, %s%v needs %d bytes", e.Length, e.DType, e.Shape, want)
	}
	b := make([]byte, want)
	if _, err := f.ReadAt(b, e.Offset); err != nil && !(errors.Is(err, io.EOF) && want == 0) {
		return nil, fmt.Errorf("external data: read %d bytes at offset %d of %s: %w", want, e.Offset, e.Location, err)
	}
	t, err := tensor.FromRawBytes(e.DType, e.Shape, b)
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	return t, nil
}

// appendExternalTensor appends a TensorProto that refers to external data.
func appendExternalTensor(b []byte, name string, e *ExternalData) []byte {
	dims := make([]int64, len(e.Shape))
	for i, d := range e.Shape {
		dims[i] = int64(d)
	}
	b = appendPackedInt64s(b, fTensorDims, dims)
	b = appendVarintField(b, fTensorDataType, uint64(e.DType))
	b = appendStringIf(b, fTensorName, name)
	kvs := []StringPair{{"location", e.Location}, {"offset", strconv.FormatInt(e.Offset, 10)}}
	if e.Length > 0 {
		kvs = append(kvs, StringPair{"length", strconv.FormatInt(e.Length, 10)})
	}
	for _, kv := range kvs {
		b, _ = appendMessage(b, fTensorExternalData, func(b []byte) ([]byte, error) {
			b = appendStringField(b, fEntryKey, kv.Key)
			return appendStringField(b, fEntryValue, kv.Value), nil
		})
	}
	return appendVarintField(b, fTensorDataLocation, dataLocationExternal)
}
