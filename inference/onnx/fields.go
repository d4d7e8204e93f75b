package onnx

import "google.golang.org/protobuf/encoding/protowire"

// Field numbers of the onnx.proto messages papdl reads and writes. Names
// follow onnx.proto's field names; the prefix names the message.
const (
	// ModelProto
	fModelIRVersion       protowire.Number = 1
	fModelProducerName    protowire.Number = 2
	fModelProducerVersion protowire.Number = 3
	fModelDomain          protowire.Number = 4
	fModelModelVersion    protowire.Number = 5
	fModelDocString       protowire.Number = 6
	fModelGraph           protowire.Number = 7
	fModelOpsetImport     protowire.Number = 8
	fModelMetadataProps   protowire.Number = 14

	// OperatorSetIdProto
	fOpsetDomain  protowire.Number = 1
	fOpsetVersion protowire.Number = 2

	// StringStringEntryProto
	fEntryKey   protowire.Number = 1
	fEntryValue protowire.Number = 2

	// GraphProto
	fGraphNode              protowire.Number = 1
	fGraphName              protowire.Number = 2
	fGraphInitializer       protowire.Number = 5
	fGraphDocString         protowire.Number = 10
	fGraphInput             protowire.Number = 11
	fGraphOutput            protowire.Number = 12
	fGraphValueInfo         protowire.Number = 13
	fGraphSparseInitializer protowire.Number = 15

	// NodeProto
	fNodeInput     protowire.Number = 1
	fNodeOutput    protowire.Number = 2
	fNodeName      protowire.Number = 3
	fNodeOpType    protowire.Number = 4
	fNodeAttribute protowire.Number = 5
	fNodeDocString protowire.Number = 6
	fNodeDomain    protowire.Number = 7

	// AttributeProto
	fAttrName          protowire.Number = 1
	fAttrF             protowire.Number = 2
	fAttrI             protowire.Number = 3
	fAttrS             protowire.Number = 4
	fAttrT             protowire.Number = 5
	fAttrG             protowire.Number = 6
	fAttrFloats        protowire.Number = 7
	fAttrInts          protowire.Number = 8
	fAttrStrings       protowire.Number = 9
	fAttrTensors       protowire.Number = 10
	fAttrGraphs        protowire.Number = 11
	fAttrDocString     protowire.Number = 13
	fAttrTP            protowire.Number = 14
	fAttrTypeProtos    protowire.Number = 15
	fAttrType          protowire.Number = 20
	fAttrRefAttrName   protowire.Number = 21
	fAttrSparseTensor  protowire.Number = 22
	fAttrSparseTensors protowire.Number = 23

	// ValueInfoProto
	fValueName      protowire.Number = 1
	fValueType      protowire.Number = 2
	fValueDocString protowire.Number = 3

	// TypeProto: tensor_type is the only kind papdl interprets; the others
	// are members of the same oneof.
	fTypeTensor       protowire.Number = 1
	fTypeSequence     protowire.Number = 4
	fTypeMap          protowire.Number = 5
	fTypeOpaque       protowire.Number = 7
	fTypeSparseTensor protowire.Number = 8
	fTypeOptional     protowire.Number = 9

	// TypeProto.Tensor
	fTensorTypeElemType protowire.Number = 1
	fTensorTypeShape    protowire.Number = 2

	// TensorShapeProto and its Dimension
	fShapeDim      protowire.Number = 1
	fDimValue      protowire.Number = 1
	fDimParam      protowire.Number = 2
	fDimDenotation protowire.Number = 3

	// TensorProto
	fTensorDims         protowire.Number = 1
	fTensorDataType     protowire.Number = 2
	fTensorSegment      protowire.Number = 3
	fTensorFloatData    protowire.Number = 4
	fTensorInt32Data    protowire.Number = 5
	fTensorStringData   protowire.Number = 6
	fTensorInt64Data    protowire.Number = 7
	fTensorName         protowire.Number = 8
	fTensorRawData      protowire.Number = 9
	fTensorDoubleData   protowire.Number = 10
	fTensorUint64Data   protowire.Number = 11
	fTensorDocString    protowire.Number = 12
	fTensorExternalData protowire.Number = 13
	fTensorDataLocation protowire.Number = 14
)

// dataLocationExternal is TensorProto.DataLocation.EXTERNAL.
const dataLocationExternal = 1

// maxGraphDepth bounds the nesting of subgraphs (If/Loop/Scan bodies inside
// bodies) so that hostile input cannot exhaust the stack.
const maxGraphDepth = 64
