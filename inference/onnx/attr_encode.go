package onnx

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// appendAttribute appends the fields of an AttributeProto. The value field
// that matches Type is always written (even a zero f or i, so that readers
// that infer the type from the fields present see it); the other value
// fields are written when they hold something, so that Decode gets back
// exactly what it produced.
func appendAttribute(b []byte, a *Attribute) ([]byte, error) {
	b = appendStringField(b, fAttrName, a.Name)
	b = appendStringIf(b, fAttrRefAttrName, a.RefAttrName)
	if a.Type != AttrUndefined {
		b = appendVarintField(b, fAttrType, uint64(a.Type))
	}
	if a.RefAttrName == "" {
		if a.Type == AttrTensor && a.T == nil {
			return b, errors.New("TENSOR attribute without a tensor")
		}
		if a.Type == AttrGraph && a.G == nil {
			return b, errors.New("GRAPH attribute without a graph")
		}
	}
	if a.Type == AttrFloat || math.Float32bits(a.F) != 0 {
		b = appendFloatField(b, fAttrF, a.F)
	}
	if a.Type == AttrInt || a.I != 0 {
		b = appendVarintField(b, fAttrI, uint64(a.I))
	}
	// S holds s, or the serialized message of an opaque single kind.
	sField := fAttrS
	switch a.Type {
	case AttrSparseTensor:
		sField = fAttrSparseTensor
	case AttrTypeProto:
		sField = fAttrTP
	}
	if sField != fAttrS || a.Type == AttrString || len(a.S) > 0 {
		b = appendBytesField(b, sField, a.S)
	}
	var err error
	if a.T != nil {
		if b, err = appendTensorField(b, fAttrT, "", a.T); err != nil {
			return b, fmt.Errorf("t: %w", err)
		}
	}
	if a.G != nil {
		if b, err = appendSubgraph(b, fAttrG, a.G); err != nil {
			return b, fmt.Errorf("g: %w", err)
		}
	}
	b = appendPackedFloats(b, fAttrFloats, a.Floats)
	b = appendPackedInt64s(b, fAttrInts, a.Ints)
	stringsField := fAttrStrings
	switch a.Type {
	case AttrSparseTensors:
		stringsField = fAttrSparseTensors
	case AttrTypeProtos:
		stringsField = fAttrTypeProtos
	}
	for _, s := range a.Strings {
		b = appendBytesField(b, stringsField, s)
	}
	for i, t := range a.Tensors {
		if b, err = appendTensorField(b, fAttrTensors, "", t); err != nil {
			return b, fmt.Errorf("tensors[%d]: %w", i, err)
		}
	}
	for i, g := range a.Graphs {
		if g == nil {
			return b, fmt.Errorf("graphs[%d] is nil", i)
		}
		if b, err = appendSubgraph(b, fAttrGraphs, g); err != nil {
			return b, fmt.Errorf("graphs[%d]: %w", i, err)
		}
	}
	return b, nil
}

func appendSubgraph(b []byte, num protowire.Number, g *Graph) ([]byte, error) {
	return appendMessageSized(b, num, graphSizeHint(g), func(b []byte) ([]byte, error) {
		b, err := appendGraph(b, g)
		if err != nil {
			return b, fmt.Errorf("graph %q: %w", g.Name, err)
		}
		return b, nil
	})
}
