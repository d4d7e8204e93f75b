//go:build !amd64 || purego

package nn

func evensAVX2(n int, x, e *float32) { panic("nn: no AVX2 kernel") }
