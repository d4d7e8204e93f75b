package planner

import (
	"math"
	"slices"
)

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

// assignmentBound is the best dual value found (0 when some unit has no
// node); it keeps the weights that gave it in s.weights.
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
		if value > best {
			best, s.weights = value, append(s.weights[:0], mu...)
		}
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

// Stage-weight bound for the throughput objective.
//
// Give every stage — each node and each directed link — a weight w ≥ 0
// with Σ w = 1. For any placement the weighted sum of its stage loads is
// at most its busiest stage, and it is additive over the placement's steps
// (a unit adds w_n·c(n,u); a hop m→n adds w_mn·t + o·(w_m + w_n)), so
//
//	P ≥ min over placements of Σ_stages w·load
//
// is a dynamic programme over (unit, node) like the latency table,
// relaxing memory only. It includes the links and the hop overhead that
// the assignment bound ignores. The weights are tuned by exponentiated-
// gradient ascent (the gradient is the minimising placement's loads); each
// minimising placement is also a candidate incumbent.

const stageIterations = 400

// stageBound returns the best bound found, the best placement (by
// busiest stage, then latency) among the minimisers that fit memory, and
// the weights that gave the bound. It starts from start: a full weight
// vector (nodes, then links), or node weights (the assignment bound's;
// uniform when nil) with 1% of the weight spread over the links, so that
// it starts at least near the assignment bound.
//
// With a finite limit it answers whether any placement can keep every
// stage within limit: only unit times and hops within the limit are
// allowed, and a bound above the limit (returned at once; +Inf when no
// placement is left at all) proves that none can.
func (p *problem) stageBound(start []float64, limit float64, iterations int) (float64, []int, []float64) {
	U, N := p.U, p.N
	S := N + N*N // nodes, then links m*N+n
	w := make([]float64, S)
	linkShare := 0.01
	if N == 1 {
		linkShare = 0
	}
	for n := range N {
		w[n] = (1 - linkShare) / float64(N)
		if len(start) == N {
			w[n] = (1 - linkShare) * max(start[n], 1e-9)
		}
	}
	for m := range N {
		for n := range N {
			if m != n {
				w[N+m*N+n] = linkShare / float64(N*(N-1))
			}
		}
	}
	if len(start) == S {
		copy(w, start)
	}
	bestW := slices.Clone(w)
	f := make([]float64, (U+1)*N)
	load := make([]float64, S)
	path := make([]int, U)
	var best []int
	bestRank, bound, rate := unranked(), 0.0, 0.2
	step := func(u, m, n int) float64 { // weighted cost of the hop into unit u (u = U: the return)
		if m == n {
			return 0
		}
		h := p.hop(u, m, n)
		if h > limit {
			return math.Inf(1)
		}
		return w[N+m*N+n]*h + p.overhead*(w[m]+w[n])
	}
	for it := range iterations {
		for m := range N {
			f[U*N+m] = step(U, m, p.src)
		}
		for u := U - 1; u >= 0; u-- {
			for m := range N {
				v := math.Inf(1)
				for n := range N {
					if c := p.comp[u*N+n]; !math.IsInf(c, 1) && c <= limit {
						v = min(v, w[n]*c+step(u, m, n)+f[(u+1)*N+n])
					}
				}
				f[u*N+m] = v
			}
		}
		value := f[p.src]
		if math.IsInf(value, 1) {
			if math.IsInf(limit, 1) {
				return 0, nil, nil // a unit has no node: another check reports it
			}
			return value, nil, w
		}
		if value > bound {
			bound = value
			copy(bestW, w)
		}
		if bound > limit {
			return bound, best, bestW
		}
		clear(load)
		prev := p.src
		for u := range U {
			bn, bv := -1, math.Inf(1)
			for n := range N {
				if c := p.comp[u*N+n]; !math.IsInf(c, 1) && c <= limit {
					if v := w[n]*c + step(u, prev, n) + f[(u+1)*N+n]; v < bv {
						bn, bv = n, v
					}
				}
			}
			if bn < 0 {
				return bound, best, bestW // weights degenerate: keep what was found
			}
			path[u] = bn
			load[bn] += p.comp[u*N+bn]
			if bn != prev {
				load[N+prev*N+bn] += p.hop(u, prev, bn)
				load[prev] += p.overhead
				load[bn] += p.overhead
			}
			prev = bn
		}
		if prev != p.src {
			load[N+prev*N+p.src] += p.hop(U, prev, p.src)
			load[prev] += p.overhead
			load[p.src] += p.overhead
		}
		if r, ok := p.rank(path, true); ok && valueFirst.better(r, bestRank) {
			best, bestRank = append(best[:0], path...), r
		}
		if value <= 0 {
			break
		}
		var z float64
		for i := range w {
			if N > 1 && i >= N && (i-N)/N == (i-N)%N {
				continue // no link from a node to itself
			}
			w[i] *= math.Exp(min(rate*(load[i]-value)/value, 20))
			z += w[i]
		}
		for i := range w {
			w[i] /= z
		}
		if it%50 == 49 {
			rate /= 2
		}
	}
	return bound, best, bestW
}

// Limited stage bound: no placement whose busiest stage is at most P uses
// a unit time or a hop above P, so the stage bound computed without them
// and found above P proves the optimum above P. limitedStageBound
// bisects P between lower and upper (warm-starting from weights) and
// returns the highest P so proven, or lower, and the best placement
// (if any) of each check, as candidate incumbents.

const (
	limitSteps      = 6
	limitIterations = 150
)

func (p *problem) limitedStageBound(lower, upper float64, weights []float64) (float64, [][]int) {
	hi := upper
	var paths [][]int
	for range limitSteps {
		mid := (lower + hi) / 2
		if hi-lower <= 1e-3*hi {
			break
		}
		b, path, _ := p.stageBound(weights, mid, limitIterations)
		if path != nil {
			paths = append(paths, path)
		}
		if b > mid {
			lower = mid
		} else {
			hi = mid
		}
	}
	return lower, paths
}
