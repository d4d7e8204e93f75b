package npy

// swapBytes reverses the bytes of every size-byte element of b in place.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			b[i], b[i+1], b[i+2], b[i+3], b[i+4], b[i+5], b[i+6], b[i+7] =
				b[i+7], b[i+6], b[i+5], b[i+4], b[i+3], b[i+2], b[i+1], b[i]
		}
	}
}

// fortranToC reorders the size-byte elements of src, laid out in Fortran
// (column-major) order for shape, into a new C (row-major) ordered slice.
func fortranToC(src []byte, shape []int, size int) []byte {
	dst := make([]byte, len(src))
	rank := len(shape)
	// cStride[k] is the C-order distance in bytes between neighbours
	// along axis k.
	cStride := make([]int, rank)
	s := size
	for k := rank - 1; k >= 0; k-- {
		cStride[k] = s
		s *= shape[k]
	}
	// Walk src in its own order (axis 0 fastest), keeping the multi-index
	// and the matching C offset.
	idx := make([]int, rank)
	off := 0
	for i := 0; i < len(src); i += size {
		copy(dst[off:off+size], src[i:i+size])
		for k := 0; k < rank; k++ {
			idx[k]++
			off += cStride[k]
			if idx[k] < shape[k] {
				break
			}
			off -= idx[k] * cStride[k]
			idx[k] = 0
		}
	}
	return dst
}
