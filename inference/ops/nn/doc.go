// Package nn implements ONNX's neural-network operators: Conv, ConvTranspose,
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization,
// LRN, Gemm and MatMul, over a replaceable single-precision gemm kernel.
package nn
