// Package shapeops implements ONNX's operators that move, select or
// reinterpret data without arithmetic: Concat, Split, Slice, Reshape, Shape,
// Gather, Transpose, Pad, Cast, Constant and their kin.
package shapeops
