// Package ops is the registry of papdl's ONNX operator kernels: it compiles an
// ONNX node into a kernel.Kernel using the operator packages nn (convolution,
// pooling, normalization, resize, quantization), mathops, shapeops, indexops
// (scatter, top-k, one-hot, ...), logic, loss, recurrent (RNN, GRU, LSTM),
// linalg (Einsum, Det), vision (NMS, RoiAlign, GridSample, MaxUnpool),
// signal (windows, DFT, STFT) and text. Control flow (If, Loop, Scan) runs
// subgraphs and is compiled by the engine.
//
// A Builder reads and checks a node's attributes once, for the opset the
// model imports, and returns a Kernel. Kernels allocate their outputs, never
// write into their inputs and keep no state between calls, so one compiled
// model serves concurrent requests. Numeric work is done in plain loops over
// slices (gonum style) and in the gemm kernel, which can be replaced by a
// faster one without touching the operators.
package ops
