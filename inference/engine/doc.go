// Package engine is papdl's ONNX execution backend. Compile turns an
// onnx.Model (a whole model or one partition of it) into a Program: nodes in
// topological order, constant sub-graphs folded, each node compiled once by
// the operator registry. A Program is immutable: Run may be called from
// concurrent requests, and gives identical bits on every run.
package engine
