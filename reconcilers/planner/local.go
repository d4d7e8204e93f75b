package planner

import "math"

// Local search on the throughput incumbent.
//
// The branch and bound's first descents place units greedily; on large
// instances it stops at the budget far from its bound. improve moves one
// unit at a time to another node while that lowers the busiest stage, or
// keeps it and lowers the sum of squared stage times (spreading load off
// the stages near the top), until no move helps or the budget of moves
// evaluated is spent. It only supplies a better incumbent: the search
// still decides optimality.

// stages returns the busiest stage and the sum of squared stage times of
// an assignment, and ok false when it breaks a constraint or memory.
func (p *problem) stages(assign []int, nodeLoad, linkLoad []float64, used []int64) (period, spread float64, ok bool) {
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
				return 0, 0, false
			}
			nodeLoad[n] += c
		}
		if n != prev {
			linkLoad[prev*N+n] += p.hop(u, prev, n)
			nodeLoad[prev] += p.overhead
			nodeLoad[n] += p.overhead
		}
		prev = n
	}
	for _, l := range nodeLoad {
		period, spread = max(period, l), spread+l*l
	}
	for _, l := range linkLoad {
		period, spread = max(period, l), spread+l*l
	}
	return period, spread, true
}

// improve returns a placement at least as good as assign (by busiest
// stage, then latency) found by single-unit moves within maxMoves
// evaluations.
func (p *problem) improve(assign []int, maxMoves int) []int {
	N := p.N
	nodeLoad, linkLoad, used := make([]float64, N), make([]float64, N*N), make([]int64, N)
	cur := append([]int(nil), assign...)
	period, spread, ok := p.stages(cur, nodeLoad, linkLoad, used)
	if !ok {
		return assign
	}
	moves := 0
	for improved := true; improved && moves < maxMoves; {
		improved = false
		for u := range p.U {
			old := cur[u]
			for n := range N {
				if n == old || math.IsInf(p.comp[u*N+n], 1) {
					continue
				}
				if moves++; moves > maxMoves {
					break
				}
				cur[u] = n
				per, spr, ok := p.stages(cur, nodeLoad, linkLoad, used)
				if ok && (below(per, period) || !below(period, per) && spr < spread*(1-1e-12)) {
					period, spread, old, improved = per, spr, n, true
				}
			}
			cur[u] = old
		}
	}
	// Swaps: a unit on the busiest node trades places with a unit
	// elsewhere, while that helps.
	for moves < maxMoves {
		b := p.busiestNode(cur, nodeLoad, linkLoad, used)
		if b < 0 {
			break
		}
		found := false
		for x := 0; x < p.U && !found && moves < maxMoves; x++ {
			if cur[x] != b {
				continue
			}
			for y := range p.U {
				n := cur[y]
				if n == b || math.IsInf(p.comp[x*N+n], 1) || math.IsInf(p.comp[y*N+b], 1) {
					continue
				}
				if moves++; moves > maxMoves {
					break
				}
				cur[x], cur[y] = n, b
				per, spr, ok := p.stages(cur, nodeLoad, linkLoad, used)
				if ok && (below(per, period) || !below(period, per) && spr < spread*(1-1e-12)) {
					period, spread, found = per, spr, true
					break
				}
				cur[x], cur[y] = b, n
			}
		}
		if !found {
			break
		}
	}
	bestLat, bestPeriod, _ := p.score(assign)
	lat, per, ok := p.score(cur)
	if ok && (below(per, bestPeriod) || !below(bestPeriod, per) && lat < bestLat) {
		return cur
	}
	return assign
}

// merge simplifies a placement greedily: it moves a whole partition onto
// the node of the partition before or after it, or of the source, taking
// each time the move that keeps the objective lowest among those that
// leave it within maxLatency and maxPeriod and fit memory, until no move
// does. It supplies the simple search with a simpler incumbent; the search
// still decides what is simplest.
func (p *problem) merge(assign []int, throughput bool, maxLatency, maxPeriod float64) []int {
	cur := append([]int(nil), assign...)
	trial := make([]int, len(cur))
	for {
		best, bestValue := []int(nil), math.Inf(1)
		for start := 0; start < p.U; {
			end := start
			for end < p.U && cur[end] == cur[start] {
				end++
			}
			targets := []int{p.src}
			if start > 0 {
				targets = append(targets, cur[start-1])
			}
			if end < p.U {
				targets = append(targets, cur[end])
			}
			for _, n := range targets {
				if n == cur[start] {
					continue
				}
				copy(trial, cur)
				for u := start; u < end; u++ {
					trial[u] = n
				}
				lat, per, ok := p.score(trial)
				if !ok || lat > maxLatency || per > maxPeriod || p.complexity(trial) >= p.complexity(cur) {
					continue
				}
				v := lat
				if throughput {
					v = per
				}
				if v < bestValue {
					best, bestValue = append(best[:0], trial...), v
				}
			}
			start = end
		}
		if best == nil {
			return cur
		}
		copy(cur, best)
	}
}

// busiestNode is the node with the most load under assign, or -1 when a
// link is the busiest stage (or the assignment does not fit).
func (p *problem) busiestNode(assign []int, nodeLoad, linkLoad []float64, used []int64) int {
	period, _, ok := p.stages(assign, nodeLoad, linkLoad, used)
	if !ok {
		return -1
	}
	for n, l := range nodeLoad {
		if l == period {
			return n
		}
	}
	return -1
}
