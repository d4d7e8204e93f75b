package onnx

import (
	"fmt"

	"github.com/papdl/papdl/inference/tensor"
)

// Model is a ModelProto.
type Model struct {
	IRVersion       int64
	OpsetImports    []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	MetadataProps   []StringPair
}

// OpsetID is an OperatorSetIdProto. The default ONNX domain is "" (also
// written "ai.onnx").
type OpsetID struct {
	Domain  string
	Version int64
}

// StringPair is a StringStringEntryProto.
type StringPair struct {
	Key, Value string
}

// Graph is a GraphProto. Nodes are in the order of the file (ONNX requires a
// topological order; the engine checks it).
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Initializer
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	ValueInfo    []ValueInfo
	DocString    string
}

// Initializer is a named constant tensor of a graph. External is set, and
// Tensor nil, only between decoding a model whose initializer keeps its
// bytes in another file and Load reading that file.
type Initializer struct {
	Name     string
	Tensor   *tensor.Tensor
	External *ExternalData
}

// ValueInfo is a ValueInfoProto restricted to tensor types. HasShape is false
// when the type carries no shape at all (rank unknown).
type ValueInfo struct {
	Name      string
	ElemType  tensor.DType
	HasShape  bool
	Shape     []Dim
	DocString string
}

// Dim is one dimension of a ValueInfo shape: a fixed Value (when Param is
// empty and Known is true), a symbolic Param ("batch"), or unknown.
type Dim struct {
	Value int64
	Param string
	Known bool
}

// FixedShape returns the shape as ints when every dimension is known.
func (v ValueInfo) FixedShape() ([]int, bool) {
	if !v.HasShape {
		return nil, false
	}
	out := make([]int, len(v.Shape))
	for i, d := range v.Shape {
		if !d.Known {
			return nil, false
		}
		out[i] = int(d.Value)
	}
	return out, true
}

// TensorValueInfo describes a tensor of a fixed type and shape.
func TensorValueInfo(name string, dt tensor.DType, shape []int) ValueInfo {
	dims := make([]Dim, len(shape))
	for i, d := range shape {
		dims[i] = Dim{Value: int64(d), Known: true}
	}
	return ValueInfo{Name: name, ElemType: dt, HasShape: true, Shape: dims}
}

// Node is a NodeProto. An empty string in Inputs is an omitted optional input.
type Node struct {
	Name      string
	OpType    string
	Domain    string
	Inputs    []string
	Outputs   []string
	Attrs     []Attribute
	DocString string
}

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// Attribute types, numbered as in onnx.proto.
const (
	AttrUndefined AttrType = 0
	AttrFloat     AttrType = 1
	AttrInt       AttrType = 2
	AttrString    AttrType = 3
	AttrTensor    AttrType = 4
	AttrGraph     AttrType = 5
	AttrFloats    AttrType = 6
	AttrInts      AttrType = 7
	AttrStrings   AttrType = 8
	AttrTensors   AttrType = 9
	AttrGraphs    AttrType = 10

	// The kinds below are kept opaque: the codec stores the serialized
	// SparseTensorProto or TypeProto in S (single) or Strings (list) and
	// writes it back unchanged. No papdl operator uses them.
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

// Attribute is an AttributeProto; the field matching Type holds the value.
type Attribute struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       []byte
	T       *tensor.Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	Tensors []*tensor.Tensor
	Graphs  []*Graph
	// RefAttrName is set inside function bodies; papdl does not use it.
	RefAttrName string
}

// Label names a node for messages: its name, or its op type and first output.
func (n *Node) Label() string {
	if n.Name != "" {
		return n.Name
	}
	out := ""
	if len(n.Outputs) > 0 {
		out = n.Outputs[0]
	}
	return fmt.Sprintf("%s(->%s)", n.OpType, out)
}

// Attr returns the attribute with the given name.
func (n *Node) Attr(name string) (*Attribute, bool) {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i], true
		}
	}
	return nil, false
}

// AttrInt returns an INT attribute, or def when it is absent.
func (n *Node) AttrInt(name string, def int64) (int64, error) {
	a, ok := n.Attr(name)
	if !ok {
		return def, nil
	}
	if a.Type != AttrInt {
		return 0, n.attrTypeError(a, AttrInt)
	}
	return a.I, nil
}

// AttrFloat returns a FLOAT attribute, or def when it is absent.
func (n *Node) AttrFloat(name string, def float32) (float32, error) {
	a, ok := n.Attr(name)
	if !ok {
		return def, nil
	}
	if a.Type != AttrFloat {
		return 0, n.attrTypeError(a, AttrFloat)
	}
	return a.F, nil
}

// AttrString returns a STRING attribute, or def when it is absent.
func (n *Node) AttrString(name string, def string) (string, error) {
	a, ok := n.Attr(name)
	if !ok {
		return def, nil
	}
	if a.Type != AttrString {
		return "", n.attrTypeError(a, AttrString)
	}
	return string(a.S), nil
}

// AttrInts returns an INTS attribute, or def when it is absent.
func (n *Node) AttrInts(name string, def []int64) ([]int64, error) {
	a, ok := n.Attr(name)
	if !ok {
		return def, nil
	}
	if a.Type != AttrInts {
		return nil, n.attrTypeError(a, AttrInts)
	}
	return a.Ints, nil
}

// AttrFloats returns a FLOATS attribute, or def when it is absent.
func (n *Node) AttrFloats(name string, def []float32) ([]float32, error) {
	a, ok := n.Attr(name)
	if !ok {
		return def, nil
	}
	if a.Type != AttrFloats {
		return nil, n.attrTypeError(a, AttrFloats)
	}
	return a.Floats, nil
}

// AttrTensor returns a TENSOR attribute, or nil when it is absent.
func (n *Node) AttrTensor(name string) (*tensor.Tensor, error) {
	a, ok := n.Attr(name)
	if !ok {
		return nil, nil
	}
	if a.Type != AttrTensor {
		return nil, n.attrTypeError(a, AttrTensor)
	}
	return a.T, nil
}

func (n *Node) attrTypeError(a *Attribute, want AttrType) error {
	return fmt.Errorf("node %s (%s): attribute %q has type %d, want %d", n.Label(), n.OpType, a.Name, a.Type, want)
}

// Opset returns the version imported for a domain ("" and "ai.onnx" are the
// same domain), or 0 when the model does not import it.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, o := range m.OpsetImports {
		d := o.Domain
		if d == "ai.onnx" {
			d = ""
		}
		if d == domain {
			return o.Version
		}
	}
	return 0
}
