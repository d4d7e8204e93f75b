package planner

import (
	"math"
	"slices"
)

// relTol is the relative tolerance below which two costs are equal.
const relTol = 1e-12

// below reports a < b by more than the tolerance.
func below(a, b float64) bool {
	if math.IsInf(b, 1) {
		return a < b
	}
	return a < b-relTol*math.Abs(b)
}

// search holds the state of one branch-and-bound run.
type search struct {
	p *problem
	// limit caps every stage time (node or link load); +Inf for none.
	limit float64
	// throughput selects the objective: busiest stage instead of latency.
	throughput bool

	// lat[u*N+m] is the least latency of units u.. given unit u-1 on m
	// (the source for u=0), the return hop included.
	lat []float64
	// tail[u*N+m] and run[u*N+m]: see throughputTables.
	tail, run []float64
	// work[u] is the least compute units u.. need; ratio[n] is the least
	// factor by which node n is slower than the fastest node on any unit.
	// Together they bound how well the remaining work can be balanced.
	work, ratio []float64
	// weights are the node weights of the best assignment bound.
	weights []float64
	root    float64
	// lam prices memory per node (seconds per byte); priced is the latency
	// table under those prices and priceLeft the price of all free memory.
	// See lagrange.go. lam is nil when the plain bound suffices.
	lam, priced []float64
	priceLeft   float64

	used []int64
	// free is the capacity left on all nodes together; needMem[u] is the
	// least memory units u.. need together.
	free     int64
	needMem  []int64
	nodeLoad []float64
	linkLoad []float64
	assign   []int

	best       float64
	bestLat    float64
	bestAssign []int
	expansions int
	budget     int
	aborted    bool
	done       bool
	scratch    [][]cand

	// simple switches to the lexicographic search of simple.go: least
	// complexity (partitions, then hops), then least value, among
	// placements within the stage limit and, for latency, maxLat.
	simple bool
	maxLat float64
	bestC  int
	// latC[(u*N+m)*(maxC+1)+r] is the least latency of units u.. given
	// unit u-1 on m with a complexity of at most r (latency objective).
	latC []float64
	maxC int
	// latCPriced is latC with memory priced by lam (nil without lam).
	latCPriced []float64
	// tailC and runC are the complexity analogues of tail and run
	// (throughput objective): the least complexity of what follows, every
	// run within the stage limit on its own.
	tailC, runC []int
}

type cand struct {
	n         int
	bound     float64
	secondary float64
	step      float64
	// clb is a lower bound on the complexity of any completion (simple
	// mode only; 0 otherwise).
	clb int
}

func newSearch(p *problem, throughput bool, limit float64, budget int) *search {
	s := &search{p: p, throughput: throughput, limit: limit, budget: budget,
		used: make([]int64, p.N), nodeLoad: make([]float64, p.N), linkLoad: make([]float64, p.N*p.N),
		assign: make([]int, p.U), best: math.Inf(1), bestLat: math.Inf(1), scratch: make([][]cand, p.U)}
	for u := range s.scratch {
		s.scratch[u] = make([]cand, 0, p.N)
	}
	s.needMem = make([]int64, p.U+1)
	for u := p.U - 1; u >= 0; u-- {
		least := int64(math.MaxInt64)
		for n := range p.N {
			if !math.IsInf(s.allowed(u, n), 1) {
				least = min(least, p.mem[u*p.N+n])
			}
		}
		if least == math.MaxInt64 {
			least = math.MaxInt64 / 4 // no node: infeasible, kept from overflowing
		}
		s.needMem[u] = min(s.needMem[u+1]+least, math.MaxInt64/2)
	}
	for _, c := range p.capacity {
		s.free += c
	}
	s.latencyTable()
	if throughput {
		s.balanceTables()
		s.throughputTables()
	} else {
		s.root = s.lat[p.src]
	}
	return s
}

// allowed is the unit's compute on n, +Inf if forbidden by constraints, by
// its own memory or by the stage limit.
func (s *search) allowed(u, n int) float64 {
	p := s.p
	c := p.comp[u*p.N+n]
	if p.mem[u*p.N+n] > p.capacity[n] || c > s.limit {
		return math.Inf(1)
	}
	return c
}

func (s *search) hop(u, m, n int) float64 {
	h := s.p.hop(u, m, n)
	if h > s.limit {
		return math.Inf(1)
	}
	return h
}

// latencyTable fills lat backwards: the exact optimum when memory sums and
// the stage limit's sums do not bind.
func (s *search) latencyTable() {
	p := s.p
	U, N := p.U, p.N
	s.lat = make([]float64, (U+1)*N)
	for m := range N {
		s.lat[U*N+m] = s.hop(U, m, p.src)
	}
	for u := U - 1; u >= 0; u-- {
		for m := range N {
			best := math.Inf(1)
			for n := range N {
				if c := s.allowed(u, n) + s.hop(u, m, n) + s.lat[(u+1)*N+n]; c < best {
					best = c
				}
			}
			s.lat[u*N+m] = best
		}
	}
}

// throughputTables fills, for the busiest-stage objective with each run
// counted on its own (a relaxation of node and link sums):
//
//	run[v*N+m]  = least busiest stage of units v.. when a run starts at v on m,
//	tail[v*N+m] = least busiest stage after a run on m ending at unit v-1.
//
// A run's stage is its compute plus the overhead of the hops into and out
// of it; a node hosting several runs carries their sum, so each run alone
// is a lower bound on its node's load.
func (s *search) throughputTables() {
	p := s.p
	U, N := p.U, p.N
	s.run = make([]float64, U*N)
	s.tail = make([]float64, (U+1)*N)
	for m := range N {
		s.tail[U*N+m] = s.hop(U, m, p.src)
	}
	for v := U - 1; v >= 0; v-- {
		if v+1 < U {
			for m := range N {
				best := math.Inf(1)
				for n := range N {
					if n != m {
						best = min(best, max(s.hop(v+1, m, n), s.run[(v+1)*N+n]))
					}
				}
				s.tail[(v+1)*N+m] = best
			}
		}
		for m := range N {
			s.run[v*N+m] = s.extend(v, m, s.receives(v, m), 0, math.Inf(1), false)
		}
	}
	s.root = math.Inf(1)
	for n := range N {
		s.root = min(s.root, max(s.hop(0, p.src, n), s.run[n]))
	}
	s.root = max(s.root, s.balanceLowerBound(), s.assignmentBound())
}

// extend is the least busiest stage of units v.. when node m already
// carries load and mem and runs units from v on; with handover it may also
// run none of them (it ran unit v-1 and hands over at once). The run's
// load includes the overhead of sending its output on. Values at or above
// cutoff are not refined.
func (s *search) extend(v, m int, load float64, mem int64, cutoff float64, handover bool) float64 {
	p := s.p
	N := p.N
	best := math.Inf(1)
	if handover {
		best = max(load+s.sends(v, m), s.tail[v*N+m])
	}
	for k := v; k < p.U; k++ {
		c := s.allowed(k, m)
		if math.IsInf(c, 1) {
			break
		}
		load += c
		mem += p.mem[k*N+m]
		if mem > p.capacity[m] || load >= best || load >= cutoff {
			break
		}
		best = min(best, max(load+s.sends(k+1, m), s.tail[(k+1)*N+m]))
	}
	return best
}

// sends is the overhead node m pays for handing over after running unit
// v-1: always, except when the source ran the last unit (no return hop).
func (s *search) sends(v, m int) float64 {
	if v == s.p.U && m == s.p.src {
		return 0
	}
	return s.p.overhead
}

// receives is the overhead node m pays for the input of a run starting at
// unit v: always, except when the source runs the first unit.
func (s *search) receives(v, m int) float64 {
	if v == 0 && m == s.p.src {
		return 0
	}
	return s.p.overhead
}

func (s *search) balanceTables() {
	p := s.p
	N := p.N
	s.work = make([]float64, p.U+1)
	s.ratio = make([]float64, N)
	for n := range N {
		s.ratio[n] = math.Inf(1)
	}
	for u := p.U - 1; u >= 0; u-- {
		least := math.Inf(1)
		for n := range N {
			least = min(least, s.allowed(u, n))
		}
		if math.IsInf(least, 1) {
			least = 0 // no node at all: another check reports it
		}
		s.work[u] = s.work[u+1] + least
		if least > 0 {
			for n := range N {
				s.ratio[n] = min(s.ratio[n], s.allowed(u, n)/least)
			}
		}
	}
}

// balanced reports whether the work of units u.. could still be spread
// so that no node reaches the target (the incumbent's busiest stage, or
// the stage limit in simple mode), given the current
// node loads (node n, which holds unit u-1, carrying load, and prev
// carrying prevLoad) and each node working at its best speed ratio. False
// proves the branch cannot beat the incumbent.
//
// A node taking more work also pays hop overhead it has not paid yet, at
// least: nothing for the source continuing its run, o for another node
// continuing (it must send its output on), o for the source otherwise (it
// receives either the output or the input of a last run of its own), 2o
// for any other node (a new run is received and sent on).
func (s *search) balanced(u, n int, load float64, prev int, prevLoad, target float64) bool {
	if s.work[u] == 0 || math.IsInf(target, 1) {
		return true
	}
	p := s.p
	var room float64
	for m := range p.N {
		l := s.nodeLoad[m]
		switch m {
		case n:
			l = load
		case prev:
			l = prevLoad
		}
		switch {
		case m == n && m == p.src:
		case m == n || m == p.src:
			l += p.overhead
		default:
			l += 2 * p.overhead
		}
		if l < target && !math.IsInf(s.ratio[m], 1) {
			room += (target - l) / s.ratio[m]
		}
	}
	return room >= s.work[u]*(1-relTol)
}

// balanceLowerBound is the root's balance bound on the busiest stage: the
// least P at which the nodes, each working at its best speed ratio, can
// absorb all the work, every node but the source first paying 2o for the
// hops into and out of its run.
func (s *search) balanceLowerBound() float64 {
	p := s.p
	// room(P) = sum over usable nodes of max(0, P - d)/ratio is
	// piecewise linear with breakpoints at d = 0 (source) and 2o (others).
	var invSrc, invOther float64
	for n, r := range s.ratio {
		switch {
		case math.IsInf(r, 1):
		case n == p.src:
			invSrc += 1 / r
		default:
			invOther += 1 / r
		}
	}
	w, d := s.work[0], 2*p.overhead
	if invSrc > 0 && w/invSrc <= d {
		return w / invSrc
	}
	if invSrc+invOther == 0 {
		return 0
	}
	return (w + d*invOther) / (invSrc + invOther)
}

// solve runs the branch and bound from an optional incumbent.
func (s *search) solve(incumbent []int, value, latency float64) {
	if incumbent != nil {
		s.best, s.bestLat, s.bestAssign = value, latency, slices.Clone(incumbent)
	}
	if !s.throughput && !s.simple && !math.IsInf(s.root, 1) {
		s.lagrange()
	}
	if math.IsInf(s.root, 1) || !s.simple && !below(s.root, s.best) {
		s.done = true
		return
	}
	s.dfs(0, s.p.src, 0, 0, 0)
}

// dfs places unit u after unit u-1 on prev; stage is the busiest stage so
// far, latency the time so far and cx the complexity so far (see simple.go).
func (s *search) dfs(u, prev int, stage, latency float64, cx int) {
	p := s.p
	N := p.N
	if u == p.U {
		h := s.hop(u, prev, p.src)
		latency += h
		if prev != p.src {
			o := p.overhead
			stage = max(stage, s.linkLoad[prev*N+p.src]+h, s.nodeLoad[prev]+o, s.nodeLoad[p.src]+o)
		}
		if stage > s.limit {
			return
		}
		value := latency
		if s.throughput {
			value = stage
		}
		if s.simple {
			s.leafSimple(value, latency, cx+p.weight(u, prev, p.src))
			return
		}
		if below(value, s.best) {
			s.best, s.bestLat = value, latency
			s.bestAssign = append(s.bestAssign[:0], s.assign...)
			if !below(s.root, s.best) {
				s.done = true
			}
		}
		return
	}
	if s.needMem[u] > s.free {
		return // the remaining units cannot fit the remaining memory
	}
	s.expansions++
	if s.expansions > s.budget {
		s.aborted, s.done = true, true
		return
	}
	cands := s.scratch[u][:0]
	for n := range N {
		c := s.allowed(u, n)
		if math.IsInf(c, 1) || s.used[n]+p.mem[u*N+n] > p.capacity[n] {
			continue
		}
		h := s.hop(u, prev, n)
		if math.IsInf(h, 1) {
			continue
		}
		load := s.nodeLoad[n] + c
		st := stage
		if prev != n {
			load += p.overhead // n receives, prev sends
			st = max(st, s.linkLoad[prev*N+n]+h, s.nodeLoad[prev]+p.overhead)
		}
		st = max(st, load)
		if st > s.limit {
			continue
		}
		lb := latency + c + h + s.lat[(u+1)*N+n]
		var bound, secondary float64
		if s.simple {
			cd, ok := s.candSimple(u, prev, n, cx, latency+c+h, st, load, lb)
			if ok {
				cd.step = h
				cands = append(cands, cd)
			}
			continue
		}
		if s.throughput {
			if !below(st, s.best) {
				continue
			}
			prevLoad := s.nodeLoad[prev]
			if prev != n {
				prevLoad += p.overhead
			}
			if !s.balanced(u+1, n, load, prev, prevLoad, s.best) {
				continue
			}
			bound = max(st, s.extend(u+1, n, load, s.used[n]+p.mem[u*N+n], s.best, true))
			secondary = lb
		} else {
			bound, secondary = lb, st
			if s.lam != nil {
				pl := latency + c + h + s.priced[(u+1)*N+n] - (s.priceLeft - s.lam[n]*float64(p.mem[u*N+n]))
				bound = max(bound, pl)
				secondary = pl
			}
		}
		if !below(bound, s.best) {
			continue
		}
		cands = append(cands, cand{n: n, bound: bound, secondary: secondary, step: h})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.clb != b.clb {
			return a.clb - b.clb
		}
		if a.bound != b.bound {
			return cmpFloat(a.bound, b.bound)
		}
		if a.secondary != b.secondary {
			return cmpFloat(a.secondary, b.secondary)
		}
		return a.n - b.n
	})
	s.scratch[u] = cands
	for i := range cands {
		cd := cands[i]
		if s.done || !s.simple && !below(cd.bound, s.best) || s.simple && s.dominated(cd) {
			return
		}
		n, l := cd.n, prev*N+cd.n
		c, mem := p.comp[u*N+n], p.mem[u*N+n]
		oldNode, oldPrev, oldLink, oldPrice := s.nodeLoad[n], s.nodeLoad[prev], s.linkLoad[l], s.priceLeft
		s.assign[u] = n
		s.used[n] += mem
		s.free -= mem
		if s.lam != nil {
			s.priceLeft -= s.lam[n] * float64(mem)
		}
		s.nodeLoad[n] += c
		st := stage
		if prev != n {
			s.linkLoad[l] += cd.step
			s.nodeLoad[n] += p.overhead
			s.nodeLoad[prev] += p.overhead
			st = max(st, s.linkLoad[l], s.nodeLoad[prev])
		}
		st = max(st, s.nodeLoad[n])
		s.dfs(u+1, n, st, latency+c+cd.step, cx+p.weight(u, prev, n))
		s.nodeLoad[prev], s.nodeLoad[n], s.linkLoad[l] = oldPrev, oldNode, oldLink
		s.used[n] -= mem
		s.free += mem
		s.priceLeft = oldPrice
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
