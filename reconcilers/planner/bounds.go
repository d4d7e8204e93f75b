package planner

import "math"

// Assignment bound for the throughput objective.
//
// Ignoring hops, links and memory, the busiest stage is at least the
// makespan of scheduling the units on unrelated machines, whose linear
// relaxation has the dual
//
//	P ≥ Σ_u min_n μ_n·c(n,u)   for every μ ≥ 0 with Σ_n μ_n = 1,
//
// (weigh each node's load by μ_n: the weighted sum of loads is at most P
// and at least every unit's cheapest weighted time). The weights are tuned
// by exponentiated-gradient ascent on the simplex; any iterate is a valid
// bound, the best is kept.

const assignmentIterations = 1000

// assignmentBound is the best dual value found; 0 when some unit has no
// node.
func (s *search) assignmentBound() float64 {
	p := s.p
	N := p.N
	mu := make([]float64, N)
	for n := range mu {
		mu[n] = 1 / float64(N)
	}
	load := make([]float64, N)
	best, rate := 0.0, 0.5
	for it := range assignmentIterations {
		clear(load)
		var value float64
		for u := range p.U {
			bn, bv := -1, math.Inf(1)
			for n := range N {
				if c := s.allowed(u, n); !math.IsInf(c, 1) && mu[n]*c < bv {
					bn, bv = n, mu[n]*c
				}
			}
			if bn < 0 {
				return 0
			}
			value += bv
			load[bn] += s.allowed(u, bn)
		}
		best = max(best, value)
		if value <= 0 {
			return best
		}
		// The gradient is each node's load under the current choice: raise
		// the weight of nodes loaded above the weighted average.
		var z float64
		for n := range N {
			mu[n] *= math.Exp(rate * (load[n] - value) / value)
			z += mu[n]
		}
		for n := range N {
			mu[n] /= z
		}
		if it%100 == 99 {
			rate /= 2
		}
	}
	return best
}
