//go:build !purego

package nn

//go:noescape
func maxTapsAVX2(n int, dst *float32, srcs [][]float32)

//go:noescape
func deinterleaveAVX2(n int, x, e, o *float32) bool

//go:noescape
func hasNaNAVX2(n int, x *float32) bool
