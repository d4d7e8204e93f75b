//go:build !amd64 || purego

package kernel

// There are no row kernels for this GOARCH: addClamp runs in Go.
const useAVX2, useAVX512 = false, false

const noKernel = "kernel: no assembly row kernel on this GOARCH"

func clampAVX2(n int, dst, add *float32, s, lo, hi float32)     { panic(noKernel) }
func sClampAVX2(n int, dst, add *float32, s, lo, hi float32)    { panic(noKernel) }
func vClampAVX2(n int, dst, add *float32, s, lo, hi float32)    { panic(noKernel) }
func svClampAVX2(n int, dst, add *float32, s, lo, hi float32)   { panic(noKernel) }
func clampAVX512(n int, dst, add *float32, s, lo, hi float32)   { panic(noKernel) }
func sClampAVX512(n int, dst, add *float32, s, lo, hi float32)  { panic(noKernel) }
func vClampAVX512(n int, dst, add *float32, s, lo, hi float32)  { panic(noKernel) }
func svClampAVX512(n int, dst, add *float32, s, lo, hi float32) { panic(noKernel) }
