//go:build !amd64 || purego

package nn

// stridedAccFirst says that the former depthwise code's scalar loop for
// strided rows, as compiled for this build (without assembly), added the
// product first (so a NaN product wins over a NaN accumulator).
const stridedAccFirst = false

// planeAsm is planeGo where there is no assembly.
func (p *dwPlan) planeAsm(ys, xs, wt []float32, bv float32, isa dwISA) {
	p.planeGo(ys, xs, wt, bv)
}
