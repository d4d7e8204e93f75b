package planner

import (
	"math"
	"slices"
	"sort"

	"github.com/papdl/papdl/apis/v1alpha1"
)

// The simplest plan within a tolerance.
//
// A placement's complexity orders it by partitions, then hops: with k
// partitions and h hops (the source's input and return hops included),
//
//	complexity = 2k + h,
//
// and since h is k-1, k or k+1, comparing complexities compares (k, h)
// lexicographically. It is additive over the steps of a placement: unit 0
// costs 2 (its partition) plus 1 if it leaves the source, a change of node
// between units costs 3 (a partition and a hop), and the return costs 1 if
// the last unit is not on the source. So the same dynamic programmes that
// bound the objective bound complexity, and a branch and bound minimises
// (complexity, value) lexicographically among placements whose value is
// within the threshold — exactly, like the optimum's search.

// equalRel is the relative slack under which two objective values are the
// same (the throughput tie-break and the tolerance threshold use it).
const equalRel = 1e-9

// noComplexity stands for "no completion within the limits".
const noComplexity = math.MaxInt32

// weight is the complexity of the step into unit u on n from unit u-1 on
// m (the source for u = 0); for u = U, the return from m to the source.
func (p *problem) weight(u, m, n int) int {
	switch {
	case u == 0:
		if n != p.src {
			return 3
		}
		return 2
	case u == p.U:
		if m != p.src {
			return 1
		}
		return 0
	case m != n:
		return 3
	}
	return 0
}

// complexity is 2·partitions + hops of an assignment.
func (p *problem) complexity(assign []int) int {
	c, prev := 0, p.src
	for u, n := range assign {
		c += p.weight(u, prev, n)
		prev = n
	}
	return c + p.weight(p.U, prev, p.src)
}

// simplify switches the search to simple mode with complexities up to
// maxC and, for latency, values up to maxLat; it builds the complexity
// tables the bounds need.
func (s *search) simplify(maxC int, maxLat float64) {
	s.simple, s.maxC, s.maxLat = true, maxC, maxLat
	if s.throughput {
		s.complexityRunTables()
		return
	}
	s.latC = s.complexityLatencyTable(nil)
}

// solveSimple runs the lexicographic search from an incumbent within the
// limits. For latency, when memory binds, it first prices memory as the
// optimum's search does (lagrange.go) and bounds complexity with the
// priced table too.
func (s *search) solveSimple(incumbent []int, value, latency float64, complexity int) {
	s.bestC = complexity
	if !s.throughput && !math.IsInf(s.root, 1) {
		s.best, s.bestLat, s.bestAssign = value, latency, slices.Clone(incumbent)
		s.lagrange()
		// The ascent may have met a placement of lower latency: start from
		// it only if it is within the limit and no more complex.
		found := placementRank{value: s.bestLat, latency: s.bestLat, complexity: s.p.complexity(s.bestAssign)}
		start := placementRank{value: latency, latency: latency, complexity: complexity}
		if !below(s.maxLat, s.bestLat) && complexityFirst.better(found, start) {
			incumbent, value, latency, complexity = s.bestAssign, s.best, s.bestLat, found.complexity
		}
		s.bestC = complexity
		// Budgets above the incumbent's complexity are never needed.
		if complexity < s.maxC {
			s.maxC = complexity
			s.latC = s.complexityLatencyTable(nil)
		}
		s.tuneBudgetPrices(complexity-1, budgetIterations)
		// A quarter of the budget first: if it finds a simpler placement
		// without finishing, the prices are tuned for the new question and
		// the search starts again with the rest.
		total := s.budget
		s.budget = total / 4
		s.solve(incumbent, value, latency)
		if !s.aborted || s.bestC == complexity {
			if s.aborted && s.bestC == complexity {
				s.restart(total)
				s.solve(s.bestAssign, s.best, s.bestLat)
			}
			return
		}
		s.tuneBudgetPrices(s.bestC-1, budgetIterations)
		s.restart(total)
		s.solve(s.bestAssign, s.best, s.bestLat)
		return
	}
	s.solve(incumbent, value, latency)
}

// restart lets an aborted search run again, from its incumbent, until
// its expansions reach budget in all.
func (s *search) restart(budget int) {
	s.aborted, s.done, s.budget = false, false, budget
	s.bestAssign = slices.Clone(s.bestAssign)
}

// budgetIterations bounds the subgradient steps of tuneBudgetPrices.
const budgetIterations = 60

// tuneBudgetPrices prices memory (lam, latCPriced) for the question the
// simple search must answer: is there a placement of complexity at most r
// within maxLat? Starting from the optimum's prices it raises
//
//	latCPriced[root][r] − Σ_n lam_n·capacity_n,
//
// a lower bound on the latency of any such placement that fits memory, by
// subgradient steps (the gradient is the memory the minimising placement
// of budget r puts on each node beyond its capacity). The best prices
// bound every state of the search.
func (s *search) tuneBudgetPrices(r, iterations int) {
	p := s.p
	N, W := p.N, s.maxC+1
	if r < 0 || r >= W || math.IsInf(s.maxLat, 1) {
		if s.lam != nil {
			s.latCPriced = s.complexityLatencyTable(s.lam)
		}
		return
	}
	lam := make([]float64, N)
	if s.lam != nil {
		copy(lam, s.lam)
	}
	value := func(table []float64) float64 {
		v := table[p.src*W+r]
		for n := range N {
			v -= lam[n] * float64(p.capacity[n])
		}
		return v
	}
	table := s.complexityLatencyTable(lam)
	bestV, bestLam, bestTable := value(table), slices.Clone(lam), table
	usage, g := make([]int64, N), make([]float64, N)
	theta, stall := 1.0, 0
	for it := 0; it < iterations && below(bestV, s.maxLat); it++ {
		// The minimising placement of budget r and its memory per node.
		clear(usage)
		prev, left := p.src, r
		for u := range p.U {
			bn, bv := -1, math.Inf(1)
			for n := range N {
				c, w := s.allowed(u, n), p.weight(u, prev, n)
				if math.IsInf(c, 1) || w > left {
					continue
				}
				if v := c + lam[n]*float64(p.mem[u*N+n]) + s.hop(u, prev, n) + table[((u+1)*N+n)*W+left-w]; v < bv {
					bn, bv = n, v
				}
			}
			if bn < 0 {
				return // no placement of budget r at all; latC already says so
			}
			usage[bn] += p.mem[u*N+bn]
			left -= p.weight(u, prev, bn)
			prev = bn
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
			break // the placement fits: prices cannot prove more
		}
		step := theta * max(s.maxLat-value(table), 1e-12) / norm
		for n := range N {
			lam[n] = max(0, lam[n]+step*g[n])
		}
		table = s.complexityLatencyTable(lam)
		if v := value(table); v > bestV {
			bestV, bestLam, bestTable, stall = v, slices.Clone(lam), table, 0
		} else if stall++; stall >= lagrangeStall {
			theta, stall = theta/2, 0
		}
	}
	s.lam, s.latCPriced = bestLam, bestTable
	s.priceLeft = 0
	for n := range N {
		s.priceLeft += bestLam[n] * float64(p.capacity[n])
	}
}

// complexityLatencyTable fills a latC table backwards: for each budget r
// the least latency of the rest, memory sums relaxed (exact otherwise);
// with lam, each unit's memory priced at lam[n] seconds per byte.
func (s *search) complexityLatencyTable(lam []float64) []float64 {
	p := s.p
	U, N, W := p.U, p.N, s.maxC+1
	latC := make([]float64, (U+1)*N*W)
	for m := range N {
		w, h := p.weight(U, m, p.src), s.hop(U, m, p.src)
		for r := range W {
			latC[(U*N+m)*W+r] = math.Inf(1)
			if r >= w {
				latC[(U*N+m)*W+r] = h
			}
		}
	}
	for u := U - 1; u >= 0; u-- {
		for m := range N {
			row := latC[(u*N+m)*W : (u*N+m+1)*W]
			for r := range row {
				row[r] = math.Inf(1)
			}
			for n := range N {
				c := s.allowed(u, n)
				if math.IsInf(c, 1) {
					continue
				}
				if lam != nil {
					c += lam[n] * float64(p.mem[u*N+n])
				}
				w, h := p.weight(u, m, n), s.hop(u, m, n)
				if math.IsInf(h, 1) {
					continue
				}
				next := latC[((u+1)*N+n)*W:]
				for r := w; r < W; r++ {
					row[r] = min(row[r], c+h+next[r-w])
				}
			}
		}
	}
	return latC
}

// minBudget is the least complexity r the units from u on need, given unit
// u-1 on m, for the latency so far plus the rest (from table) to stay
// within maxLat; -1 if no r up to maxC does. Tables are non-increasing in r.
func (s *search) minBudget(table []float64, u, m int, spent float64) int {
	W := s.maxC + 1
	row := table[(u*s.p.N+m)*W : (u*s.p.N+m+1)*W]
	r := sort.Search(W, func(r int) bool { return !below(s.maxLat, spent+row[r]) })
	if r == W {
		return -1
	}
	return r
}

// complexityRunTables fills tailC and runC for the throughput objective:
// each run's load (compute and hop overhead) and memory within the limit,
// runs on one node not summed.
func (s *search) complexityRunTables() {
	p := s.p
	U, N := p.U, p.N
	s.tailC, s.runC = make([]int, (U+1)*N), make([]int, U*N)
	for m := range N {
		s.tailC[U*N+m] = noComplexity
		if !math.IsInf(s.hop(U, m, p.src), 1) {
			s.tailC[U*N+m] = p.weight(U, m, p.src)
		}
	}
	for v := U - 1; v >= 0; v-- {
		if v+1 < U {
			for m := range N {
				best := noComplexity
				for n := range N {
					if n != m && !math.IsInf(s.hop(v+1, m, n), 1) && s.runC[(v+1)*N+n] < noComplexity {
						best = min(best, 3+s.runC[(v+1)*N+n])
					}
				}
				s.tailC[(v+1)*N+m] = best
			}
		}
		for m := range N {
			s.runC[v*N+m] = s.extendC(v, m, s.receives(v, m), 0, false)
		}
	}
}

// extendC is the complexity analogue of extend: the least complexity of
// units v.. when node m carries load and mem and runs units from v on
// (with handover, possibly none of them).
func (s *search) extendC(v, m int, load float64, mem int64, handover bool) int {
	p := s.p
	N := p.N
	best := noComplexity
	if handover && load+s.sends(v, m) <= s.limit {
		best = s.tailC[v*N+m]
	}
	for k := v; k < p.U; k++ {
		c := s.allowed(k, m)
		if math.IsInf(c, 1) {
			break
		}
		load += c
		mem += p.mem[k*N+m]
		if mem > p.capacity[m] || load > s.limit {
			break
		}
		if load+s.sends(k+1, m) <= s.limit {
			best = min(best, s.tailC[(k+1)*N+m])
		}
	}
	return best
}

// candSimple bounds the child placing unit u on n in simple mode: spent is
// the latency with it, stage the busiest stage, load n's load, lb the
// plain latency bound. ok is false when the child cannot beat the
// incumbent.
func (s *search) candSimple(u, prev, n, cx int, spent, stage, load, lb float64) (cand, bool) {
	p := s.p
	cNew := cx + p.weight(u, prev, n)
	cd := cand{n: n, secondary: lb}
	if s.throughput {
		mem := s.used[n] + p.mem[u*p.N+n]
		r := s.extendC(u+1, n, load, mem, true)
		if r == noComplexity {
			return cd, false
		}
		cd.clb = cNew + r
		if cd.clb > s.bestC {
			return cd, false
		}
		target := s.limit
		if cd.clb == s.bestC {
			target = s.best
		}
		prevLoad := s.nodeLoad[prev]
		if prev != n {
			prevLoad += p.overhead
		}
		if !s.balanced(u+1, n, load, prev, prevLoad, target) {
			return cd, false
		}
		cd.bound = max(stage, s.extend(u+1, n, load, mem, math.Inf(1), true))
	} else {
		r := s.minBudget(s.latC, u+1, n, spent)
		if r < 0 {
			return cd, false
		}
		at := ((u+1)*p.N + n) * (s.maxC + 1)
		if s.latCPriced != nil {
			// latency ≥ priced latency − the price of the memory left free.
			mem := p.mem[u*p.N+n]
			spentPriced := spent - (s.priceLeft - s.lam[n]*float64(mem))
			rp := s.minBudget(s.latCPriced, u+1, n, spentPriced)
			if rp < 0 {
				return cd, false
			}
			r = max(r, rp)
			cd.bound = max(spent+s.latC[at+r], spentPriced+s.latCPriced[at+r])
		} else {
			cd.bound = spent + s.latC[at+r]
		}
		cd.clb = cNew + r
	}
	return cd, !s.dominated(cd)
}

// dominated reports whether no completion of a candidate can beat the
// incumbent: more complex, or as complex and no better.
func (s *search) dominated(cd cand) bool {
	return cd.clb > s.bestC || cd.clb == s.bestC && !below(cd.bound, s.best)
}

// leafSimple takes a complete placement if it is within the limits and
// beats the incumbent lexicographically.
func (s *search) leafSimple(value, latency float64, complexity int) {
	if !s.throughput && below(s.maxLat, latency) {
		return
	}
	if complexity < s.bestC || complexity == s.bestC && below(value, s.best) {
		s.best, s.bestLat, s.bestC = value, latency, complexity
		s.bestAssign = append(s.bestAssign[:0], s.assign...)
	}
}

// simplest returns the placement with the least complexity among those
// within tol of the optimum opt (value ≤ optimum·(1+tol)), the best
// objective among those, and for throughput the least latency among
// those as fast; exact reports whether every search finished.
func (p *problem) simplest(obj v1alpha1.Objective, opt []int, tol float64, budget int) (assign []int, exact bool, expansions int) {
	latency, period, _ := p.score(opt)
	cOpt := p.complexity(opt)
	if obj == v1alpha1.ObjectiveLatency {
		limit := latency * (1 + tol) * (1 + equalRel)
		inc := p.merge(opt, false, limit, math.Inf(1))
		incLatency, _, _ := p.score(inc)
		s := newSearch(p, false, math.Inf(1), budget)
		s.simplify(cOpt, limit)
		s.solveSimple(inc, incLatency, incLatency, p.complexity(inc))
		return s.bestAssign, !s.aborted, s.expansions
	}
	limit := period * (1 + tol) * (1 + equalRel)
	inc := p.merge(opt, true, math.Inf(1), limit)
	incLatency, incPeriod, _ := p.score(inc)
	s1 := newSearch(p, true, limit, budget)
	s1.simplify(cOpt, math.Inf(1))
	s1.solveSimple(inc, incPeriod, incLatency, p.complexity(inc))
	if s1.bestC == cOpt && !below(s1.best, period) {
		// The optimum is as simple as any placement within the tolerance,
		// and no placement is faster.
		return opt, !s1.aborted, s1.expansions
	}
	// Among the simplest placements as fast as the best, the lowest latency.
	s2 := newSearch(p, false, s1.best*(1+equalRel), budget)
	s2.simplify(s1.bestC, math.Inf(1))
	s2.solveSimple(s1.bestAssign, s1.bestLat, s1.bestLat, s1.bestC)
	return s2.bestAssign, !s1.aborted && !s2.aborted, s1.expansions + s2.expansions
}
