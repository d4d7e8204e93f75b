package planner

import "math"

// Period search for the throughput incumbent.
//
// For a candidate busiest stage P, pack builds a placement run by run:
// from the first unit not yet placed it gives the longest run that keeps
// every stage within P to the node that run leaves the least idle
// capacity on (best fit), a node already used taking a further run when
// that fits best. Scanning P upwards from the lower bound, the first
// periods that pack give placements whose busiest stage is within P of
// the bound; local search then refines them. Like the other seeds they
// only supply an incumbent: the search still decides optimality.

// packer holds the state of one packing attempt.
type packer struct {
	p          *problem
	load, link []float64
	used       []int64
	assign     []int
}

func newPacker(p *problem) *packer {
	return &packer{p: p, load: make([]float64, p.N), link: make([]float64, p.N*p.N),
		used: make([]int64, p.N), assign: make([]int, p.U)}
}

// pack reports whether the greedy finds a placement with every stage
// within limit; the placement is left in k.assign.
func (k *packer) pack(limit float64) bool {
	p := k.p
	U, N, o := p.U, p.N, p.overhead
	clear(k.load)
	clear(k.link)
	clear(k.used)
	prev := p.src
	for a := 0; a < U; {
		bestN, bestB, bestWaste := -1, 0, math.Inf(1)
		for n := range N {
			if n == prev && a > 0 {
				continue // runs are maximal: the previous run would have taken it
			}
			b, waste := k.run(a, prev, n, limit)
			if b > a && (waste < bestWaste || waste == bestWaste && b > bestB) {
				bestN, bestB, bestWaste = n, b, waste
			}
		}
		if bestN < 0 {
			return false
		}
		n := bestN
		if n != prev {
			k.link[prev*N+n] += p.hop(a, prev, n)
			if a == 0 {
				k.load[prev] += o // the source sends the input
			}
			k.load[n] += o
		}
		for u := a; u < bestB; u++ {
			k.assign[u] = n
			k.load[n] += p.comp[u*N+n]
			k.used[n] += p.mem[u*N+n]
		}
		if bestB < U || n != p.src {
			k.load[n] += o // it sends its output on
		}
		if bestB == U && n != p.src {
			k.link[n*N+p.src] += p.hop(U, n, p.src)
			k.load[p.src] += o
		}
		prev, a = n, bestB
	}
	return true
}

// run is the end of the longest run from unit a on n after prev that
// keeps n's load (its overhead included), the link into it, the source's
// gateway and a link out of it within limit, and the capacity it leaves
// idle on n; b = a when none fits.
func (k *packer) run(a, prev, n int, limit float64) (b int, waste float64) {
	p := k.p
	U, N, o := p.U, p.N, p.overhead
	load, mem := k.load[n], k.used[n]
	if n != prev {
		load += o
		if k.link[prev*N+n]+p.hop(a, prev, n) > limit || a == 0 && k.load[prev]+o > limit {
			return a, 0
		}
	}
	best := a
	for e := a; e < U; e++ {
		load += p.comp[e*N+n]
		mem += p.mem[e*N+n]
		if load > limit || mem > p.capacity[n] {
			break
		}
		if !k.leaves(e+1, n, load, limit) {
			continue
		}
		best, waste = e+1, limit-load
		if e+1 < U || n != p.src {
			waste -= o
		}
	}
	return best, waste
}

// leaves reports whether a run on n ending at unit b with load can hand
// over within limit: it pays o to send, and some link out of it (the
// return to the source after the last unit) has room for the hop.
func (k *packer) leaves(b, n int, load, limit float64) bool {
	p := k.p
	N, o := p.N, p.overhead
	if b == p.U {
		if n == p.src {
			return true
		}
		return load+o <= limit && k.link[n*N+p.src]+p.hop(b, n, p.src) <= limit && k.load[p.src]+o <= limit
	}
	if load+o > limit {
		return false
	}
	for m := range N {
		if m != n && k.link[n*N+m]+p.hop(b, n, m) <= limit {
			return true
		}
	}
	return false
}

// periodSteps bounds the candidate periods periodSearch tries, and
// periodPlacements the placements it returns.
const (
	periodSteps      = 400
	periodPlacements = 8
)

// periodSearch scans periods from lower upwards in steps of 0.05% and
// returns the placements packed at the first periodPlacements periods
// that pack (different packings end in different local optima).
func (p *problem) periodSearch(lower float64) [][]int {
	if !(lower > 0) || math.IsInf(lower, 1) {
		return nil
	}
	k := newPacker(p)
	var out [][]int
	for i := 0; i < periodSteps && len(out) < periodPlacements; i++ {
		if k.pack(lower * (1 + 0.0005*float64(i))) {
			out = append(out, append([]int(nil), k.assign...))
		}
	}
	return out
}
