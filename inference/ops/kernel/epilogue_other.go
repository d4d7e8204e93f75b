//go:build !amd64 || purego

package kernel

// There are no row kernels for this GOARCH: addClamp runs in Go.
const useAVX2, useAVX512 = false, false

// rowKernels is empty: bestISA is isaGo, which addClamp runs in Go.
var rowKernels [isaAVX512 + 1][4]rowKernel
