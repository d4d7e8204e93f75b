//go:build !amd64 || purego

package nn

func maxTapsAVX2(n int, dst *float32, srcs [][]float32) { panic("nn: no AVX2 kernel") }

func deinterleaveAVX2(n int, x, e, o *float32) bool { panic("nn: no AVX2 kernel") }

func hasNaNAVX2(n int, x *float32) bool { panic("nn: no AVX2 kernel") }
