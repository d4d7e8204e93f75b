// Package mathops implements ONNX's arithmetic operators: element-wise
// binary operators with numpy broadcasting (Add, Sub, Mul, Div, Pow, Mod,
// Max, Min, Sum, Mean, PRelu), unary math and activations (Relu, Sigmoid,
// Tanh, Erf, Clip, ...), Softmax, LogSoftmax and Hardmax, the Reduce*
// family, ArgMax/ArgMin and CumSum, for opsets 1-18 (attribute and input
// forms).
//
// Broadcasting is planned once per call (broadcast.go): dimensions are
// merged so that the innermost run is handled by tight slice loops, which
// makes same-shape, scalar and per-channel operands cheap. Float16 tensors
// are computed in float32 and rounded back. Float math is deterministic
// (large element-wise operations are split across goroutines, which does
// not change a bit); float32 transcendental functions are evaluated in
// float64 and rounded once, except Exp, Sigmoid, Tanh, Erf and Softmax's
// exponentials, which use the vectorised float32 functions of package
// vmath (a few ulp, the same bits on every CPU).
package mathops
