//go:build !purego

package nn

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels. It is fixed at start-up, so every
// call in a process uses the same arithmetic.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX512 adds the 6×32 AVX-512 micro-kernel, which gives the same bits as
// the AVX2 one (see kern6x32AVX512); x/sys/cpu also checks that the OS saves
// the ZMM registers.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

//go:noescape
func kern6x16AVX2(kc int, a, b, c *float32, ldc int, add bool)

//go:noescape
func kern1x16AVX2(kc int, x, b, y *float32)

//go:noescape
func kern6x32AVX512(kc int, a, b0, b1, c *float32, ldc int, add bool)

//go:noescape
func axpyAVX2(n int, a float32, x, y *float32)
