//go:build !amd64 || purego

package vmath

// apply sets dst[i] = f(src[i]) for i < len(dst), in Go: there are no
// kernels for this GOARCH.
func apply(dst, src []float32, f func(float32) float32, _ fn) { applyGo(f, dst, src) }
