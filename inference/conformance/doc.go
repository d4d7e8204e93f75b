// Package conformance runs the ONNX backend node test cases (Debian's
// libonnx-testdata: model.onnx plus serialized input and expected output
// tensors) through papdl's engine and compares the results with rtol 1e-4
// and atol 1e-6, the tolerances of ONNX's own backend test runner.
package conformance
