//go:build !amd64 || purego

package vmath

// apply sets dst[i] = f(src[i]) for i < len(dst), in Go: there are no
// kernels for this GOARCH.
func apply(dst, src []float32, f func(float32) float32, _, _ kernelFunc) { applyGo(f, dst, src) }

const noKernel = "vmath: no assembly kernel on this GOARCH"

func expAVX2(n int, dst, src *float32)       { panic(noKernel) }
func sigmoidAVX2(n int, dst, src *float32)   { panic(noKernel) }
func siluAVX2(n int, dst, src *float32)      { panic(noKernel) }
func tanhAVX2(n int, dst, src *float32)      { panic(noKernel) }
func erfAVX2(n int, dst, src *float32)       { panic(noKernel) }
func expAVX512(n int, dst, src *float32)     { panic(noKernel) }
func sigmoidAVX512(n int, dst, src *float32) { panic(noKernel) }
func siluAVX512(n int, dst, src *float32)    { panic(noKernel) }
func tanhAVX512(n int, dst, src *float32)    { panic(noKernel) }
func erfAVX512(n int, dst, src *float32)     { panic(noKernel) }
