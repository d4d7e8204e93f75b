//go:build !purego

package varith

import "golang.org/x/sys/cpu"

// useAVX2 selects the 8-lane kernels and useAVX512 the 16-lane ones; all
// paths give the same bits, so the choice only changes the speed.
var (
	useAVX2   = cpu.X86.HasAVX2
	useAVX512 = useAVX2 && cpu.X86.HasAVX512F
)

// The kernels process n elements, n a multiple of their width. Forms:
// vv d = a op b, vs d = x op s, sv d = s op x (vs and sv take the same
// arguments, so that one assembly macro defines both).
//
//go:noescape
func vvAVX512(op Op, n int, d, a, b *float32)

//go:noescape
func vsAVX512(op Op, n int, d, x *float32, s float32)

//go:noescape
func svAVX512(op Op, n int, d, x *float32, s float32)

//go:noescape
func vvAVX2(op Op, n int, d, a, b *float32)

//go:noescape
func vsAVX2(op Op, n int, d, x *float32, s float32)

//go:noescape
func svAVX2(op Op, n int, d, x *float32, s float32)

// whole returns how many of n elements this CPU's kernels compute: the
// longest prefix of whole vectors (0 without kernels).
func whole(n int) int {
	switch {
	case useAVX512:
		return n &^ 15
	case useAVX2:
		return n &^ 7
	}
	return 0
}

// vv, vs and sv run the kernel on the longest prefix of whole vectors and
// return its length; the caller does the rest in Go.
func vv(op Op, d, a, b []float32) int {
	n := whole(len(d))
	switch {
	case n == 0:
	case useAVX512:
		vvAVX512(op, n, &d[0], &a[0], &b[0])
	default:
		vvAVX2(op, n, &d[0], &a[0], &b[0])
	}
	return n
}

func vs(op Op, d, a []float32, s float32) int {
	n := whole(len(d))
	switch {
	case n == 0:
	case useAVX512:
		vsAVX512(op, n, &d[0], &a[0], s)
	default:
		vsAVX2(op, n, &d[0], &a[0], s)
	}
	return n
}

func sv(op Op, d []float32, s float32, b []float32) int {
	n := whole(len(d))
	switch {
	case n == 0:
	case useAVX512:
		svAVX512(op, n, &d[0], &b[0], s)
	default:
		svAVX2(op, n, &d[0], &b[0], s)
	}
	return n
}
