package planner

import (
	"math"
	"slices"
)

// score returns the latency and busiest stage of an assignment, or ok false
// when it breaks a constraint or a node's memory.
func (p *problem) score(assign []int) (latency, period float64, ok bool) {
	N := p.N
	nodeLoad, linkLoad := make([]float64, N), make([]float64, N*N)
	if latency, ok = p.loads(assign, nodeLoad, linkLoad, make([]int64, N)); !ok {
		return 0, 0, false
	}
	return latency, max(slices.Max(nodeLoad), slices.Max(linkLoad)), true
}

// loads fills the stage loads (nodeLoad per node, linkLoad per node pair
// m*N+n) and the memory used per node of an assignment and returns its
// latency, or ok false when it breaks a constraint or a node's memory.
func (p *problem) loads(assign []int, nodeLoad, linkLoad []float64, used []int64) (latency float64, ok bool) {
	N := p.N
	clear(nodeLoad)
	clear(linkLoad)
	clear(used)
	prev := p.src
	for u := 0; u <= p.U; u++ {
		n := p.src
		if u < p.U {
			n = assign[u]
			c := p.comp[u*N+n]
			used[n] += p.mem[u*N+n]
			if math.IsInf(c, 1) || used[n] > p.capacity[n] {
				return 0, false
			}
			latency += c
			nodeLoad[n] += c
		}
		if n != prev {
			h := p.hop(u, prev, n)
			latency += h
			linkLoad[prev*N+n] += h
			nodeLoad[prev] += p.overhead
			nodeLoad[n] += p.overhead
		}
		prev = n
	}
	return latency, true
}

// chain places the units as one contiguous run per node, the nodes taken
// in the given order (each used at most once, possibly skipped), with the
// least busiest stage: a linear-partition dynamic programme in O(N²U²).
// It seeds the throughput search with a sensible incumbent; nil if none fits.
// Each run's load includes the hop overhead of its own input and output;
// the source's gateway hops are left to score.
func (p *problem) chain(order []int) []int {
	N, U, K := p.N, p.U, len(order)
	inf := math.Inf(1)
	// f[j*(U+1)+u]: units [0,u) placed, unit u-1 on order[j].
	f := make([]float64, K*(U+1))
	from := make([]int32, 2*K*(U+1)) // previous order index and run start
	for i := range f {
		f[i] = inf
	}
	// ends is the overhead of a run on n ending at unit e-1: sending its
	// output, unless it is the source's run holding the last unit.
	ends := func(e, n int) float64 {
		if e == U && n == p.src {
			return 0
		}
		return p.overhead
	}
	for j, n := range order {
		var load float64
		if n != p.src {
			load = p.overhead // receives the input
		}
		var mem int64
		for e := 0; e < U; e++ { // run [0,e] on n
			load += p.comp[e*N+n]
			mem += p.mem[e*N+n]
			if math.IsInf(load, 1) || mem > p.capacity[n] {
				break
			}
			if v := max(load+ends(e+1, n), p.hop(0, p.src, n)); v < f[j*(U+1)+e+1] {
				f[j*(U+1)+e+1], from[2*(j*(U+1)+e+1)] = v, -1
			}
		}
	}
	for s := 1; s < U; s++ {
		for i := range K {
			if math.IsInf(f[i*(U+1)+s], 1) {
				continue
			}
			for j := i + 1; j < K; j++ {
				n := order[j]
				base := max(f[i*(U+1)+s], p.hop(s, order[i], n))
				load := p.overhead // receives the cut
				var mem int64
				for e := s; e < U; e++ {
					load += p.comp[e*N+n]
					mem += p.mem[e*N+n]
					if math.IsInf(load, 1) || mem > p.capacity[n] {
						break
					}
					if k, v := j*(U+1)+e+1, max(base, load+ends(e+1, n)); v < f[k] {
						f[k], from[2*k], from[2*k+1] = v, int32(i), int32(s)
					}
				}
			}
		}
	}
	best, bj := inf, -1
	for j, n := range order {
		if v := max(f[j*(U+1)+U], p.hop(U, n, p.src)); v < best {
			best, bj = v, j
		}
	}
	if bj < 0 {
		return nil
	}
	assign := make([]int, U)
	for j, u := bj, U; u > 0; {
		k := j*(U+1) + u
		i, s := int(from[2*k]), int(from[2*k+1])
		if i < 0 {
			s = 0
		}
		for v := s; v < u; v++ {
			assign[v] = order[j]
		}
		j, u = i, s
	}
	return assign
}

// speedOrder lists the nodes by total compute, fastest first, with ties
// (and the source) kept stable.
func (p *problem) speedOrder() []int {
	total := make([]float64, p.N)
	for n := range p.N {
		for u := range p.U {
			total[n] += p.comp[u*p.N+n]
		}
	}
	order := make([]int, p.N)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(total[a], total[b]) })
	return order
}
