package onnx

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/papdl/papdl/inference/wholefile"
	"github.com/papdl/papdl/inference/tensor"
)

// Encode serializes m as a ModelProto holding everything Decode reads.
// Empty strings and zero scalars are omitted (proto2 defaults); numeric
// tensors are written as raw_data.
func Encode(m *Model) ([]byte, error) {
	if m == nil {
		return nil, errors.New("onnx: encode model: nil model")
	}
	b, err := appendModel(make([]byte, 0, sizeHint(m)), m)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode model: %w", err)
	}
	return b, nil
}

// Save encodes m and writes it to path through a temporary file in the same
// directory that is renamed into place, so readers never see half a model.
func Save(path string, m *Model) error {
	data, err := Encode(m)
	if err != nil {
		return err
	}
	if err := wholefile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("onnx: save model: %w", err)
	}
	return nil
}

// sizeHint estimates the encoded size from the top-level initializers so
// that a large model's buffer is allocated once.
func sizeHint(m *Model) int {
	return 4096 + graphSizeHint(m.Graph)
}

// graphSizeHint is the size of g's initializers, which dominate the size of
// any graph that is large.
func graphSizeHint(g *Graph) int {
	n := 0
	if g == nil {
		return n
	}
	for _, init := range g.Initializers {
		if init != nil && n < math.MaxInt32 {
			n += tensorSizeHint(init.Name, init.Tensor)
		}
	}
	return n
}

func appendModel(b []byte, m *Model) ([]byte, error) {
	if m.Graph == nil {
		return b, errors.New("model has no graph")
	}
	if m.IRVersion != 0 {
		b = appendVarintField(b, fModelIRVersion, uint64(m.IRVersion))
	}
	b = appendStringIf(b, fModelProducerName, m.ProducerName)
	b = appendStringIf(b, fModelProducerVersion, m.ProducerVersion)
	b = appendStringIf(b, fModelDomain, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarintField(b, fModelModelVersion, uint64(m.ModelVersion))
	}
	b = appendStringIf(b, fModelDocString, m.DocString)
	b, err := appendMessageSized(b, fModelGraph, graphSizeHint(m.Graph), func(b []byte) ([]byte, error) {
		b, err := appendGraph(b, m.Graph)
		if err != nil {
			return b, fmt.Errorf("graph %q: %w", m.Graph.Name, err)
		}
		return b, nil
	})
	if err != nil {
		return b, err
	}
	for _, o := range m.OpsetImports {
		b, _ = appendMessage(b, fModelOpsetImport, func(b []byte) ([]byte, error) {
			b = appendStringIf(b, fOpsetDomain, o.Domain)
			return appendVarintField(b, fOpsetVersion, uint64(o.Version)), nil
		})
	}
	for _, p := range m.MetadataProps {
		b, _ = appendMessage(b, fModelMetadataProps, func(b []byte) ([]byte, error) {
			b = appendStringField(b, fEntryKey, p.Key)
			return appendStringIf(b, fEntryValue, p.Value), nil
		})
	}
	return b, nil
}

func appendGraph(b []byte, g *Graph) ([]byte, error) {
	var err error
	for i, n := range g.Nodes {
		if n == nil {
			return b, fmt.Errorf("node %d is nil", i)
		}
		b, err = appendMessage(b, fGraphNode, func(b []byte) ([]byte, error) { return appendNode(b, n) })
		if err != nil {
			return b, fmt.Errorf("node %d (%s): %w", i, n.Label(), err)
		}
	}
	b = appendStringIf(b, fGraphName, g.Name)
	for i, init := range g.Initializers {
		if init == nil {
			return b, fmt.Errorf("initializer %d is nil", i)
		}
		if init.Tensor == nil && init.External != nil {
			b, err = appendMessage(b, fGraphInitializer, func(b []byte) ([]byte, error) {
				return appendExternalTensor(b, init.Name, init.External), nil
			})
		} else {
			b, err = appendTensorField(b, fGraphInitializer, init.Name, init.Tensor)
		}
		if err != nil {
			return b, fmt.Errorf("initializer %d: %w", i, err)
		}
	}
	b = appendStringIf(b, fGraphDocString, g.DocString)
	for _, list := range []struct {
		num  protowire.Number
		vals []ValueInfo
	}{{fGraphInput, g.Inputs}, {fGraphOutput, g.Outputs}, {fGraphValueInfo, g.ValueInfo}} {
		for _, v := range list.vals {
			b, _ = appendMessage(b, list.num, func(b []byte) ([]byte, error) { return appendValueInfo(b, v), nil })
		}
	}
	return b, nil
}

func appendNode(b []byte, n *Node) ([]byte, error) {
	// Every input is written, including "" for an omitted optional one:
	// positions matter.
	for _, s := range n.Inputs {
		b = appendStringField(b, fNodeInput, s)
	}
	for _, s := range n.Outputs {
		b = appendStringField(b, fNodeOutput, s)
	}
	b = appendStringIf(b, fNodeName, n.Name)
	b = appendStringIf(b, fNodeOpType, n.OpType)
	var err error
	for i := range n.Attrs {
		a := &n.Attrs[i]
		b, err = appendMessage(b, fNodeAttribute, func(b []byte) ([]byte, error) { return appendAttribute(b, a) })
		if err != nil {
			return b, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
	}
	b = appendStringIf(b, fNodeDocString, n.DocString)
	b = appendStringIf(b, fNodeDomain, n.Domain)
	return b, nil
}

func appendValueInfo(b []byte, v ValueInfo) []byte {
	b = appendStringField(b, fValueName, v.Name)
	if v.ElemType != tensor.Undefined || v.HasShape {
		b, _ = appendMessage(b, fValueType, func(b []byte) ([]byte, error) {
			return appendMessage(b, fTypeTensor, func(b []byte) ([]byte, error) {
				if v.ElemType != tensor.Undefined {
					b = appendVarintField(b, fTensorTypeElemType, uint64(v.ElemType))
				}
				if v.HasShape {
					b, _ = appendMessage(b, fTensorTypeShape, func(b []byte) ([]byte, error) {
						return appendDims(b, v.Shape), nil
					})
				}
				return b, nil
			})
		})
	}
	return appendStringIf(b, fValueDocString, v.DocString)
}

// appendDims appends the dim fields of a TensorShapeProto. A dimension that
// is neither known nor named is written as an empty Dimension.
func appendDims(b []byte, dims []Dim) []byte {
	for _, d := range dims {
		b, _ = appendMessage(b, fShapeDim, func(b []byte) ([]byte, error) {
			switch {
			case d.Known:
				b = appendVarintField(b, fDimValue, uint64(d.Value))
			case d.Param != "":
				b = appendStringField(b, fDimParam, d.Param)
			}
			return b, nil
		})
	}
	return b
}
