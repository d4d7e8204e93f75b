//go:build !purego

package kernel

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 row kernels and useAVX512 the AVX-512 ones, with
// the CPU features the other kernels require (vmath, nn). They are fixed at
// start-up; all paths give the same bits, so the choice only changes the
// speed.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var useAVX512 = useAVX2 && cpu.X86.HasAVX512F

// rowKernels are the row kernels of epilogue_amd64.s (see rowKernel) by
// instruction set and form: clamp only, scalar sum (s), vector sum (v), or
// both, for 8 and 16 lanes.
var rowKernels = [...][4]rowKernel{
	isaAVX2:   {clampAVX2, sClampAVX2, vClampAVX2, svClampAVX2},
	isaAVX512: {clampAVX512, sClampAVX512, vClampAVX512, svClampAVX512},
}

//go:noescape
func clampAVX2(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func sClampAVX2(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func vClampAVX2(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func svClampAVX2(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func clampAVX512(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func sClampAVX512(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func vClampAVX512(n int, dst, add *float32, s, lo, hi float32)

//go:noescape
func svClampAVX512(n int, dst, add *float32, s, lo, hi float32)
