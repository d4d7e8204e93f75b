package onnx

import (
	"strconv"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// modelWith wraps GraphProto fields into a ModelProto.
func modelWith(graph pb) pb {
	return pb{}.varint(fModelIRVersion, 8).bytes(fModelOpsetImport, pb{}.varint(fOpsetVersion, 13)).bytes(fModelGraph, graph)
}

func nodeWithAttr(attr pb) pb {
	return pb{}.str(fNodeOpType, "Op").str(fNodeOutput, "y").bytes(fNodeAttribute, attr)
}

func TestDecodeUntypedAttributes(t *testing.T) {
	// IR version 1 files have no AttributeProto.type.
	tensorMsg := pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 7).varint(fTensorInt64Data, 9)
	tests := []struct {
		name  string
		attr  pb
		want  AttrType
		check func(a *Attribute) bool
	}{
		{"f", pb{}.str(fAttrName, "a").fixed32(fAttrF, f32(0.25)), AttrFloat, func(a *Attribute) bool { return a.F == 0.25 }},
		{"i", pb{}.str(fAttrName, "a").varint(fAttrI, neg(-3)), AttrInt, func(a *Attribute) bool { return a.I == -3 }},
		{"s", pb{}.str(fAttrName, "a").str(fAttrS, "x"), AttrString, func(a *Attribute) bool { return string(a.S) == "x" }},
		{"t", pb{}.str(fAttrName, "a").bytes(fAttrT, tensorMsg), AttrTensor, func(a *Attribute) bool { return a.T.Int64s()[0] == 9 }},
		{"g", pb{}.str(fAttrName, "a").bytes(fAttrG, pb{}.str(fGraphName, "sub")), AttrGraph, func(a *Attribute) bool { return a.G.Name == "sub" }},
		{"floats unpacked", pb{}.str(fAttrName, "a").fixed32(fAttrFloats, f32(1)).fixed32(fAttrFloats, f32(2)), AttrFloats,
			func(a *Attribute) bool { return len(a.Floats) == 2 && a.Floats[1] == 2 }},
		{"ints unpacked", pb{}.str(fAttrName, "a").varint(fAttrInts, 1).varint(fAttrInts, neg(-1)), AttrInts,
			func(a *Attribute) bool { return len(a.Ints) == 2 && a.Ints[1] == -1 }},
		{"ints packed", pb{}.str(fAttrName, "a").bytes(fAttrInts, packedVarints(4, 5, 6)), AttrInts,
			func(a *Attribute) bool { return len(a.Ints) == 3 && a.Ints[2] == 6 }},
		{"strings", pb{}.str(fAttrName, "a").str(fAttrStrings, "p").str(fAttrStrings, "q"), AttrStrings,
			func(a *Attribute) bool { return len(a.Strings) == 2 && string(a.Strings[1]) == "q" }},
		{"tensors", pb{}.str(fAttrName, "a").bytes(fAttrTensors, tensorMsg), AttrTensors, func(a *Attribute) bool { return len(a.Tensors) == 1 }},
		{"graphs", pb{}.str(fAttrName, "a").bytes(fAttrGraphs, pb{}).bytes(fAttrGraphs, pb{}), AttrGraphs, func(a *Attribute) bool { return len(a.Graphs) == 2 }},
		{"tp", pb{}.str(fAttrName, "a").bytes(fAttrTP, pb{}.bytes(1, pb{}.varint(1, 1))), AttrTypeProto, func(a *Attribute) bool { return len(a.S) == 4 }},
		{"nothing", pb{}.str(fAttrName, "a"), AttrUndefined, func(a *Attribute) bool { return true }},
		{"declared type wins", pb{}.str(fAttrName, "a").varint(fAttrType, uint64(AttrInts)).varint(fAttrI, 1), AttrInts,
			func(a *Attribute) bool { return a.I == 1 && len(a.Ints) == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(modelWith(pb{}.bytes(fGraphNode, nodeWithAttr(tc.attr))))
			if err != nil {
				t.Fatal(err)
			}
			a := &m.Graph.Nodes[0].Attrs[0]
			if a.Type != tc.want {
				t.Errorf("type %d, want %d", a.Type, tc.want)
			}
			if !tc.check(a) {
				t.Errorf("wrong value: %+v", a)
			}
			checkRoundTrip(t, m)
		})
	}
}

func TestDecodeValueInfoKinds(t *testing.T) {
	tensorType := func(elem uint64, dims ...pb) pb {
		shape := pb{}
		for _, d := range dims {
			shape = shape.bytes(fShapeDim, d)
		}
		return pb{}.bytes(fTypeTensor, pb{}.varint(fTensorTypeElemType, elem).bytes(fTensorTypeShape, shape))
	}
	tests := []struct {
		name string
		typ  pb // TypeProto, nil for none
		want ValueInfo
	}{
		{"tensor", tensorType(1, pb{}.varint(fDimValue, 2), pb{}.str(fDimParam, "N"), pb{}.str(fDimDenotation, "DATA_BATCH")),
			ValueInfo{Name: "v", ElemType: tensor.Float32, HasShape: true, Shape: []Dim{{Value: 2, Known: true}, {Param: "N"}, {}}}},
		{"tensor without shape", pb{}.bytes(fTypeTensor, pb{}.varint(fTensorTypeElemType, 7)),
			ValueInfo{Name: "v", ElemType: tensor.Int64}},
		{"scalar", tensorType(9), ValueInfo{Name: "v", ElemType: tensor.Bool, HasShape: true, Shape: []Dim{}}},
		{"sequence", pb{}.bytes(fTypeSequence, pb{}.bytes(1, tensorType(1))), ValueInfo{Name: "v"}},
		{"map", pb{}.bytes(fTypeMap, pb{}.varint(1, 7)), ValueInfo{Name: "v"}},
		{"optional", pb{}.bytes(fTypeOptional, pb{}.bytes(1, tensorType(1))), ValueInfo{Name: "v"}},
		{"sparse tensor", pb{}.bytes(fTypeSparseTensor, pb{}.varint(1, 1)), ValueInfo{Name: "v"}},
		{"tensor after sequence (oneof, last wins)", pb{}.bytes(fTypeSequence, pb{}).append(tensorType(6)...),
			ValueInfo{Name: "v", ElemType: tensor.Int32, HasShape: true, Shape: []Dim{}}},
		{"no type", nil, ValueInfo{Name: "v"}},
		{"bfloat16", tensorType(16), ValueInfo{Name: "v", ElemType: tensor.BFloat16, HasShape: true, Shape: []Dim{}}},
		{"unknown element types are kept as numbers", tensorType(23), ValueInfo{Name: "v", ElemType: 23, HasShape: true, Shape: []Dim{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vi := pb{}.str(fValueName, "v").str(fValueDocString, "")
			if tc.typ != nil {
				vi = vi.bytes(fValueType, tc.typ)
			}
			m, err := Decode(modelWith(pb{}.bytes(fGraphInput, vi)))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tc.want, m.Graph.Inputs[0]); d != "" {
				t.Errorf("got %+v, want %+v (at %s)", m.Graph.Inputs[0], tc.want, d)
			}
			checkRoundTrip(t, m)
		})
	}
}

func TestDecodeModelErrors(t *testing.T) {
	deep := pb{}
	for i := 0; i < maxGraphDepth+2; i++ {
		deep = pb{}.str(fGraphName, "g").bytes(fGraphNode, nodeWithAttr(pb{}.str(fAttrName, "body").varint(fAttrType, 5).bytes(fAttrG, deep)))
	}
	badTensor := pb{}.str(fTensorName, "w").varint(fTensorDims, 2).varint(fTensorDataType, 1).bytes(fTensorRawData, make([]byte, 4))
	tests := []struct {
		name string
		in   pb
		want []string
	}{
		{"empty input", pb{}, []string{"no graph"}},
		{"sparse initializer", modelWith(pb{}.str(fGraphName, "main").bytes(fGraphSparseInitializer, pb{})),
			[]string{`graph "main"`, "sparse_initializer"}},
		{"bad initializer", modelWith(pb{}.bytes(fGraphInitializer, badTensor).str(fGraphName, "main")),
			[]string{`graph "main"`, "initializer 0", `tensor "w"`, "raw_data has 4 bytes"}},
		{"bad attribute tensor", modelWith(pb{}.str(fGraphName, "main").
			bytes(fGraphNode, nodeWithAttr(pb{}.str(fAttrName, "value").varint(fAttrType, 4).bytes(fAttrT, badTensor)).str(fNodeName, "c0"))),
			[]string{`graph "main"`, `node 0 ("c0" Op)`, `attribute "value"`, `tensor "w"`}},
		{"tensor attribute without t", modelWith(pb{}.bytes(fGraphNode, nodeWithAttr(pb{}.str(fAttrName, "value").varint(fAttrType, 4)))),
			[]string{`attribute "value"`, "type is TENSOR but field t is missing"}},
		{"graph attribute without g", modelWith(pb{}.bytes(fGraphNode, nodeWithAttr(pb{}.str(fAttrName, "body").varint(fAttrType, 5)))),
			[]string{`attribute "body"`, "field g is missing"}},
		{"nested too deep", modelWith(deep), []string{"nested more than 64 deep"}},
		{"graph is not a message", pb{}.varint(fModelGraph, 1), []string{"ModelProto.graph (field 7) has wire type 0"}},
		{"node input is not a string", modelWith(pb{}.bytes(fGraphNode, pb{}.varint(fNodeInput, 1))),
			[]string{"node 0", "NodeProto.input (field 1) has wire type 0"}},
		{"attribute type out of int32 range", modelWith(pb{}.bytes(fGraphNode, nodeWithAttr(pb{}.str(fAttrName, "a").varint(fAttrType, 1<<40)))),
			[]string{`attribute "a"`, "out of int32 range"}},
		{"value info dim with wrong wire type", modelWith(pb{}.bytes(fGraphOutput, pb{}.str(fValueName, "out").
			bytes(fValueType, pb{}.bytes(fTypeTensor, pb{}.bytes(fTensorTypeShape, pb{}.bytes(fShapeDim, pb{}.fixed64(fDimValue, 1))))))),
			[]string{`output 0 ("out")`, "dim 0", "dim_value"}},
		{"truncated model", modelWith(pb{}.str(fGraphName, "main"))[:10], []string{"byte"}},
		{"bad opset", pb{}.bytes(fModelOpsetImport, pb{}.str(fOpsetVersion, "x")), []string{"opset_import 0", "version"}},
		{"bad metadata", pb{}.bytes(fModelMetadataProps, pb{}.varint(fEntryKey, 1)), []string{"metadata_props 0", "key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("no error; decoded %+v", m)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestDecodeErrorOffsets checks that byte offsets in errors point into the
// outermost input, at the broken field.
func TestDecodeErrorOffsets(t *testing.T) {
	prefix := pb{}.varint(fModelIRVersion, 8).str(fModelProducerName, "p")
	graph := pb{}.str(fGraphName, "g").bytes(fGraphNode, pb{}.fixed32(fNodeName, 1))
	in := prefix.bytes(fModelGraph, graph)
	// Offset of the node's name field: prefix, graph tag and length, the
	// name field (3 bytes), node tag and length.
	want := len(prefix) + 2 + 3 + 2
	_, err := Decode(in)
	if err == nil || !strings.Contains(err.Error(), "byte "+strconv.Itoa(want)+":") {
		t.Errorf("error %v, want it at byte %d", err, want)
	}
}
