//go:build !purego

package nn

//go:noescape
func evensAVX2(n int, x, e *float32)
