//go:build !amd64 || purego

package varith

// vv, vs and sv compute nothing without assembly kernels: the Go
// definitions do every element.
func vv(Op, []float32, []float32, []float32) int { return 0 }
func vs(Op, []float32, []float32, float32) int   { return 0 }
func sv(Op, []float32, float32, []float32) int   { return 0 }
