//go:build !amd64 || purego

package nn

const useAVX2 = false

const useAVX512 = false

func kern6x16AVX2(kc int, a, b, c *float32, ldc int, add bool) { panic("nn: no AVX2 kernel") }

func kern1x16AVX2(kc int, x, b, y *float32) { panic("nn: no AVX2 kernel") }

func kern6x32AVX512(kc int, a, b0, b1, c *float32, ldc int, add bool) {
	panic("nn: no AVX-512 kernel")
}

func axpyAVX2(n int, a float32, x, y *float32) { panic("nn: no AVX2 kernel") }
