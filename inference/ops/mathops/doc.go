// Package mathops implements ONNX's element-wise operators with numpy
// broadcasting, activations, Softmax/LogSoftmax and reductions.
package mathops
