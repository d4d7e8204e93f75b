//go:build !amd64 || purego

package nn

// planeAsm is planeGo where there is no assembly.
func (p *dwPlan) planeAsm(ys, xs, wt []float32, bv float32, isa dwISA) {
	p.planeGo(ys, xs, wt, bv)
}

// splitRow2 splits no columns where there is no assembly.
func splitRow2(d, src []float32) int { return 0 }
