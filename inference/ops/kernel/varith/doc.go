// Package varith computes the float32 element-wise arithmetic of the Add,
// Sub, Mul and Div operators over slices, vectorised with AVX-512 or AVX2
// where the CPU has them (chosen once at start-up) and in portable Go
// elsewhere: d[i] = a[i] op b[i], or with a or b one scalar for every
// element.
//
// Every path computes each element with one IEEE-754 float32 operation,
// so the results are the same bits on every path and machine (the lanes of
// a vector instruction round exactly as the scalar one does). Where both
// operands are NaN, the vector paths keep a's NaN (quieted).
package varith
