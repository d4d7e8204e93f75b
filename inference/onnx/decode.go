package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/papdl/papdl/inference/tensor"
)

// Decode parses a serialized ModelProto. Unknown fields are skipped;
// features papdl cannot represent faithfully (sparse initializers, element
// types without a tensor.DType) are errors that name the graph, node,
// attribute or tensor concerned and the byte offset. Initializers with
// external data need the model's directory: use Load.
func Decode(data []byte) (*Model, error) {
	m, err := decodeModel(newReader(data, 0))
	if err != nil {
		return nil, fmt.Errorf("onnx: decode model: %w", err)
	}
	if u := unresolvedExternal(m.Graph); u != nil {
		return nil, fmt.Errorf("onnx: decode model: initializer %q: %w", u.Name, u.External)
	}
	return m, nil
}

// Load reads and decodes the model file at path, and the external data
// files (weights saved beside the model, as ONNX does past 2 GB) that its
// initializers name, relative to path's directory.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: load model: %w", err)
	}
	m, err := decodeModel(newReader(data, 0))
	if err != nil {
		return nil, fmt.Errorf("onnx: load model %s: %w", path, err)
	}
	if err := resolveExternal(m, filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("onnx: load model %s: %w", path, err)
	}
	return m, nil
}

func decodeModel(r reader) (*Model, error) {
	const msg = "ModelProto"
	m := &Model{}
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch f.num {
		case fModelIRVersion:
			m.IRVersion, err = f.int64(msg, "ir_version")
		case fModelProducerName:
			m.ProducerName, err = f.str(msg, "producer_name")
		case fModelProducerVersion:
			m.ProducerVersion, err = f.str(msg, "producer_version")
		case fModelDomain:
			m.Domain, err = f.str(msg, "domain")
		case fModelModelVersion:
			m.ModelVersion, err = f.int64(msg, "model_version")
		case fModelDocString:
			m.DocString, err = f.str(msg, "doc_string")
		case fModelGraph:
			var sub reader
			if sub, err = f.msg(msg, "graph"); err == nil {
				m.Graph, err = decodeGraph(sub, 0)
			}
		case fModelOpsetImport:
			var sub reader
			if sub, err = f.msg(msg, "opset_import"); err == nil {
				var o OpsetID
				if o, err = decodeOpset(sub); err != nil {
					err = fmt.Errorf("opset_import %d: %w", len(m.OpsetImports), err)
				}
				m.OpsetImports = append(m.OpsetImports, o)
			}
		case fModelMetadataProps:
			var sub reader
			if sub, err = f.msg(msg, "metadata_props"); err == nil {
				var p StringPair
				if p, err = decodeStringPair(sub); err != nil {
					err = fmt.Errorf("metadata_props %d: %w", len(m.MetadataProps), err)
				}
				m.MetadataProps = append(m.MetadataProps, p)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("ModelProto has no graph")
	}
	return m, nil
}

func decodeOpset(r reader) (OpsetID, error) {
	const msg = "OperatorSetIdProto"
	var o OpsetID
	err := r.each(func(f *field) (err error) {
		switch f.num {
		case fOpsetDomain:
			o.Domain, err = f.str(msg, "domain")
		case fOpsetVersion:
			o.Version, err = f.int64(msg, "version")
		}
		return err
	})
	return o, err
}

func decodeStringPair(r reader) (StringPair, error) {
	const msg = "StringStringEntryProto"
	var p StringPair
	err := r.each(func(f *field) (err error) {
		switch f.num {
		case fEntryKey:
			p.Key, err = f.str(msg, "key")
		case fEntryValue:
			p.Value, err = f.str(msg, "value")
		}
		return err
	})
	return p, err
}

// peekString returns the last value of the string field num at the top
// level of the message under r, or "" when it is absent or the message is
// unreadable. Error paths use it to name a graph, node or attribute whose
// name field comes after the broken part.
func peekString(r reader, num protowire.Number) string {
	r = newReader(r.data, r.base)
	s := ""
	_ = r.each(func(f *field) error {
		if f.num == num && f.typ == protowire.BytesType {
			s = string(f.b)
		}
		return nil
	})
	return s
}

// decodeGraph decodes a GraphProto nested depth subgraphs deep.
func decodeGraph(r reader, depth int) (*Graph, error) {
	g, err := readGraph(r, depth)
	if err != nil {
		return nil, fmt.Errorf("graph %q: %w", peekString(r, fGraphName), err)
	}
	return g, nil
}

func readGraph(r reader, depth int) (*Graph, error) {
	const msg = "GraphProto"
	if depth > maxGraphDepth {
		return nil, fmt.Errorf("subgraphs nested more than %d deep", maxGraphDepth)
	}
	g := &Graph{}
	sparse := 0
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		var sub reader
		switch f.num {
		case fGraphNode:
			if sub, err = f.msg(msg, "node"); err == nil {
				var n *Node
				if n, err = decodeNode(sub, depth); err != nil {
					err = fmt.Errorf("node %d (%s): %w", len(g.Nodes), nodeLabel(sub), err)
				}
				g.Nodes = append(g.Nodes, n)
			}
		case fGraphName:
			g.Name, err = f.str(msg, "name")
		case fGraphInitializer:
			if sub, err = f.msg(msg, "initializer"); err == nil {
				var init Initializer
				var ext *ExternalData
				if init.Name, init.Tensor, err = decodeTensor(sub); errors.As(err, &ext) {
					init.External, err = ext, nil // Load reads it
				} else if err != nil {
					err = fmt.Errorf("initializer %d: %w", len(g.Initializers), err)
				}
				g.Initializers = append(g.Initializers, &init)
			}
		case fGraphDocString:
			g.DocString, err = f.str(msg, "doc_string")
		case fGraphInput:
			g.Inputs, err = readValueInfoField(g.Inputs, &f, "input")
		case fGraphOutput:
			g.Outputs, err = readValueInfoField(g.Outputs, &f, "output")
		case fGraphValueInfo:
			g.ValueInfo, err = readValueInfoField(g.ValueInfo, &f, "value_info")
		case fGraphSparseInitializer:
			sparse++
		}
		if err != nil {
			return nil, err
		}
	}
	if sparse > 0 {
		return nil, fmt.Errorf("%d sparse_initializer entries: sparse initializers are not supported", sparse)
	}
	return g, nil
}

// readValueInfoField decodes the ValueInfoProto in f (a GraphProto field
// called what) and appends it to list.
func readValueInfoField(list []ValueInfo, f *field, what string) ([]ValueInfo, error) {
	sub, err := f.msg("GraphProto", what)
	if err != nil {
		return list, err
	}
	v, err := decodeValueInfo(sub)
	if err != nil {
		return list, fmt.Errorf("%s %d (%q): %w", what, len(list), peekString(sub, fValueName), err)
	}
	return append(list, v), nil
}

// nodeLabel names a NodeProto for error messages: its name and op type.
func nodeLabel(r reader) string {
	name, op := peekString(r, fNodeName), peekString(r, fNodeOpType)
	if name == "" {
		return op
	}
	return fmt.Sprintf("%q %s", name, op)
}

func decodeNode(r reader, depth int) (*Node, error) {
	const msg = "NodeProto"
	n := &Node{}
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return nil, err
		}
		if !ok {
			return n, nil
		}
		var s string
		switch f.num {
		case fNodeInput:
			if s, err = f.str(msg, "input"); err == nil {
				n.Inputs = append(n.Inputs, s)
			}
		case fNodeOutput:
			if s, err = f.str(msg, "output"); err == nil {
				n.Outputs = append(n.Outputs, s)
			}
		case fNodeName:
			n.Name, err = f.str(msg, "name")
		case fNodeOpType:
			n.OpType, err = f.str(msg, "op_type")
		case fNodeDomain:
			n.Domain, err = f.str(msg, "domain")
		case fNodeDocString:
			n.DocString, err = f.str(msg, "doc_string")
		case fNodeAttribute:
			var sub reader
			if sub, err = f.msg(msg, "attribute"); err == nil {
				var a Attribute
				if a, err = decodeAttribute(sub, depth); err != nil {
					err = fmt.Errorf("attribute %q: %w", peekString(sub, fAttrName), err)
				}
				n.Attrs = append(n.Attrs, a)
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

func decodeValueInfo(r reader) (ValueInfo, error) {
	const msg = "ValueInfoProto"
	var v ValueInfo
	err := r.each(func(f *field) (err error) {
		switch f.num {
		case fValueName:
			v.Name, err = f.str(msg, "name")
		case fValueDocString:
			v.DocString, err = f.str(msg, "doc_string")
		case fValueType:
			var sub reader
			if sub, err = f.msg(msg, "type"); err == nil {
				err = decodeType(sub, &v)
			}
		}
		return err
	})
	return v, err
}

// decodeType reads a TypeProto into v. Only tensor types are interpreted;
// sequence, map, optional, opaque and sparse tensor types leave ElemType
// Undefined and HasShape false.
func decodeType(r reader, v *ValueInfo) error {
	const msg = "TypeProto"
	return r.each(func(f *field) (err error) {
		switch f.num {
		case fTypeTensor:
			var sub reader
			if sub, err = f.msg(msg, "tensor_type"); err == nil {
				err = decodeTensorType(sub, v)
			}
		case fTypeSequence, fTypeMap, fTypeOpaque, fTypeSparseTensor, fTypeOptional:
			// Another member of the oneof: the last one set wins.
			v.ElemType, v.HasShape, v.Shape = tensor.Undefined, false, nil
		}
		return err
	})
}

func decodeTensorType(r reader, v *ValueInfo) error {
	const msg = "TypeProto.Tensor"
	v.ElemType, v.HasShape, v.Shape = tensor.Undefined, false, nil
	return r.each(func(f *field) (err error) {
		switch f.num {
		case fTensorTypeElemType:
			var dt int32
			dt, err = f.int32(msg, "elem_type")
			v.ElemType = tensor.DType(dt)
		case fTensorTypeShape:
			var sub reader
			if sub, err = f.msg(msg, "shape"); err == nil {
				v.HasShape = true
				v.Shape, err = decodeShape(sub)
			}
		}
		return err
	})
}

func decodeShape(r reader) ([]Dim, error) {
	dims := []Dim{}
	err := r.each(func(f *field) error {
		if f.num != fShapeDim {
			return nil
		}
		sub, err := f.msg("TensorShapeProto", "dim")
		if err != nil {
			return err
		}
		d, err := decodeDim(sub)
		if err != nil {
			return fmt.Errorf("dim %d: %w", len(dims), err)
		}
		dims = append(dims, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dims, nil
}

func decodeDim(r reader) (Dim, error) {
	const msg = "TensorShapeProto.Dimension"
	var d Dim
	err := r.each(func(f *field) (err error) {
		switch f.num {
		case fDimValue:
			var v int64
			v, err = f.int64(msg, "dim_value")
			d = Dim{Value: v, Known: true}
		case fDimParam:
			var s string
			s, err = f.str(msg, "dim_param")
			d = Dim{Param: s}
		}
		return err
	})
	return d, err
}
