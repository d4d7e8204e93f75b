package planner

import (
	"math"
	"slices"
)

// Lagrangian bound for the latency objective under memory sums.
//
// Pricing each byte placed on node n at lam[n] seconds turns the memory
// constraints into costs: for lam >= 0 and any placement that fits,
//
//	latency >= DP(comp + lam·mem) - sum_n lam[n]·capacity[n],
//
// and the same holds for every suffix with the capacity still free. The
// multipliers are tuned once at the root by subgradient ascent; the priced
// table then bounds every search state alongside the plain one. Feasible
// paths met during the ascent seed the incumbent.

const (
	lagrangeIterations = 300
	lagrangeStall      = 4    // halve the step after this many non-improving iterations
	lagrangeMinStep    = 1e-6 // stop once the step has been halved this far
)

// pricedTable fills out[(u)*N+m] like latencyTable with comp + lam·mem.
func (s *search) pricedTable(lam, out []float64) {
	p := s.p
	U, N := p.U, p.N
	for m := range N {
		out[U*N+m] = s.hop(U, m, p.src)
	}
	for u := U - 1; u >= 0; u-- {
		for m := range N {
			best := math.Inf(1)
			for n := range N {
				c := s.allowed(u, n) + lam[n]*float64(p.mem[u*N+n]) + s.hop(u, m, n) + out[(u+1)*N+n]
				best = min(best, c)
			}
			out[u*N+m] = best
		}
	}
}

// pricedPath follows a priced table from the source; it returns the path
// and the memory it puts on each node.
func (s *search) pricedPath(lam, table []float64) ([]int, []int64) {
	p := s.p
	N := p.N
	path, usage := make([]int, p.U), make([]int64, N)
	prev := p.src
	for u := range p.U {
		bn, bc := -1, math.Inf(1)
		for n := range N {
			c := s.allowed(u, n) + lam[n]*float64(p.mem[u*N+n]) + s.hop(u, prev, n) + table[(u+1)*N+n]
			if c < bc {
				bn, bc = n, c
			}
		}
		if bn < 0 {
			return nil, nil
		}
		path[u], prev = bn, bn
		usage[bn] += p.mem[u*N+bn]
	}
	return path, usage
}

// lagrange tunes the multipliers when the plain relaxation's path breaks a
// node's memory. It may raise s.root and set an incumbent.
func (s *search) lagrange() {
	p := s.p
	N := p.N
	zero := make([]float64, N)
	path, usage := s.pricedPath(zero, s.lat)
	if path == nil || s.fits(usage) {
		return // the plain bound is exact here
	}
	lam := make([]float64, N)
	table := make([]float64, (p.U+1)*N)
	bestL, bestLam := s.root, slices.Clone(lam)
	theta, stall := 1.0, 0
	current := s.root // the Lagrangian value at lam; lam = 0 gives the plain bound
	g := make([]float64, N)
	for it := 0; it < lagrangeIterations; it++ {
		if it > 0 {
			s.pricedTable(lam, table)
			if path, usage = s.pricedPath(lam, table); path == nil {
				return
			}
			current = table[p.src]
			for n := range N {
				current -= lam[n] * float64(p.capacity[n])
			}
			if current > bestL*(1+1e-9) {
				bestL, bestLam, stall = current, slices.Clone(lam), 0
			} else if stall++; stall >= lagrangeStall {
				if theta, stall = theta/2, 0; theta < lagrangeMinStep {
					break
				}
			}
		}
		if s.fits(usage) {
			if lat, per, ok := p.score(path); ok && lat < s.best && per <= s.limit {
				s.best, s.bestLat, s.bestAssign = lat, lat, path
			}
		}
		if !below(bestL, s.best) {
			break // the incumbent is proven optimal
		}
		target := s.best
		if math.IsInf(target, 1) {
			target = bestL*1.1 + 1e-9
		}
		var norm float64
		for n := range N {
			g[n] = float64(usage[n] - p.capacity[n])
			if lam[n] == 0 && g[n] < 0 {
				g[n] = 0
			}
			norm += g[n] * g[n]
		}
		if norm == 0 {
			break
		}
		step := theta * max(target-current, 1e-12) / norm // Polyak step towards the target
		for n := range N {
			lam[n] = max(0, lam[n]+step*g[n])
		}
	}
	s.lam = bestLam
	s.priced = make([]float64, (p.U+1)*N)
	s.pricedTable(bestLam, s.priced)
	for n := range N {
		s.priceLeft += bestLam[n] * float64(p.capacity[n])
	}
	s.root = max(s.root, bestL)
}

func (s *search) fits(usage []int64) bool {
	for n, u := range usage {
		if u > s.p.capacity[n] {
			return false
		}
	}
	return true
}
