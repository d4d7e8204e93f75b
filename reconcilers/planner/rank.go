package planner

import "math"

// placementRank is what the planner compares two placements by.
type placementRank struct {
	// value is the objective: the busiest stage for throughput, the
	// latency for latency.
	value float64
	// latency breaks ties of value (for latency it equals value).
	latency float64
	// complexity is 2·partitions + hops (problem.complexity), so a lower
	// complexity is fewer partitions, then fewer hops.
	complexity int
}

// unranked ranks below every placement: the start of a search for the
// best one.
func unranked() placementRank {
	return placementRank{value: math.Inf(1), latency: math.Inf(1), complexity: noComplexity}
}

// rank ranks assign under the objective (throughput: busiest stage,
// otherwise latency); ok is false when assign breaks memory or a
// constraint.
func (p *problem) rank(assign []int, throughput bool) (r placementRank, ok bool) {
	lat, per, ok := p.score(assign)
	if !ok {
		return placementRank{}, false
	}
	r = placementRank{value: lat, latency: lat, complexity: p.complexity(assign)}
	if throughput {
		r.value = per
	}
	return r, true
}

// rankOrder is an order on placements, lexicographic over the keys of
// placementRank; values and latencies are compared with below (equal
// within relTol), complexities exactly.
type rankOrder int

const (
	// valueFirst is the optimum's order: the least value, then the least
	// latency, then the fewest partitions and hops. The local search,
	// the incumbent's seeds, the stage bounds' placements and the
	// baselines use it.
	valueFirst rankOrder = iota
	// complexityFirst is the simplest plan's order among placements
	// within the tolerance (the caller checks the threshold): the fewest
	// partitions and hops, then the least value, then the least latency.
	complexityFirst
)

// better reports whether a placement ranked a is better than one ranked
// b in the order: a strict order (never both better(a, b) and
// better(b, a); ties are not better).
func (o rankOrder) better(a, b placementRank) bool {
	if o == complexityFirst && a.complexity != b.complexity {
		return a.complexity < b.complexity
	}
	if below(a.value, b.value) {
		return true
	}
	if below(b.value, a.value) {
		return false
	}
	if below(a.latency, b.latency) {
		return true
	}
	if below(b.latency, a.latency) {
		return false
	}
	return o == valueFirst && a.complexity < b.complexity
}
