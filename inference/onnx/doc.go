// Package onnx is papdl's in-memory form of an ONNX model and its binary
// codec: Decode reads a serialized ModelProto, Encode writes one. Only the
// parts of onnx.proto that inference uses are kept (graphs, nodes,
// attributes, initializers, value infos, opset imports, metadata); unknown
// fields are skipped on read.
//
// papdl reads ONNX itself instead of through onnx-go's decoder because that
// decoder drops the opset imports (operator semantics depend on them), node
// names, repeated inputs of one node (Mul(x, x)) and every element type but
// five, and cannot write ONNX at all, which the slicer needs.
package onnx
