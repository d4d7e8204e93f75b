//go:build !amd64 || purego

package vmath

// apply sets dst[i] = o(src[i]) for i < len(dst).
func apply(o op, dst, src []float32) { applyGo(o, dst, src[:len(dst)]) }
