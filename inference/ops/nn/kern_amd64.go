//go:build !purego

package nn

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels. It is fixed at start-up, so every
// call in a process uses the same arithmetic.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kern6x16AVX2(kc int, a, b, c *float32, ldc int, add bool)

//go:noescape
func kern1x16AVX2(kc int, x, b, y *float32)
