// Package tensor holds papdl's dense, C-ordered tensors: a data type, a shape
// and a typed Go slice. Every kernel, the ONNX codec, the .npy codec and the
// data plane exchange values as *Tensor.
//
// Tensors are immutable once handed to another component: kernels allocate
// their outputs and never write into their inputs, which is what makes a
// compiled model safe to run from concurrent requests.
package tensor
