// Package vmath computes float32 transcendental functions over slices:
// Exp, Sigmoid, SiLU, Tanh and Erf, vectorised with AVX-512 or AVX2+FMA
// where the CPU has them (chosen once at start-up) and in portable Go
// elsewhere.
//
// Every path computes each element with the same fixed sequence of float32
// operations (range reduction, then a polynomial evaluated with fused
// multiply-adds), so the result is the same bits on every machine: a model
// split across machines stays bitwise equal to the monolithic run. The Go
// path is the definition (scalar.go); the assembly repeats it lane by lane.
// The Go path needs a correctly rounded float32 fused multiply-add, which
// fma32 provides on any GOARCH.
//
// NaN inputs give the input NaN with its quiet bit set, on every path.
package vmath
