// Package onnx is papdl's in-memory form of an ONNX model and its binary
// codec: Decode reads a serialized ModelProto, Encode writes one. Only the
// parts of onnx.proto that inference uses are kept (graphs, nodes,
// attributes, initializers, value infos, opset imports, metadata); unknown
// fields are skipped on read.
//
// What the codec does not carry: model-local functions, training info,
// quantization annotations, doc strings of tensors and attributes, and the
// names of tensors inside attributes are dropped on read. Value infos of
// non-tensor types (sequence, map, optional) keep only their name, so Encode
// writes them without a type. Sparse-tensor and type-proto attributes are
// kept as opaque serialized bytes. Initializers whose data lives in external
// files are read by Load from the model's directory. Sparse initializers and
// element types without a tensor.DType are decode errors.
//
// papdl reads ONNX itself instead of through onnx-go's decoder because that
// decoder drops the opset imports (operator semantics depend on them), node
// names, repeated inputs of one node (Mul(x, x)) and every element type but
// five, and cannot write ONNX at all, which the slicer needs.
package onnx
