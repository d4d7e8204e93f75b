package planner

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Local search on the throughput incumbent.
//
// The branch and bound's first descents place units greedily; on large
// instances it stops at the budget far from its bound. improve moves
// single units, then swaps units and whole runs off the busiest node,
// while that lowers the busiest stage or keeps it and lowers the sum of
// squared stage times (spreading load off the stages near the top), until
// no move helps or the budget of moves evaluated is spent; perturb then
// restarts it from random moves off the busiest stage (fixed seed). It
// only supplies a better incumbent: the search still decides optimality.

// stages returns the busiest stage and the sum of squared stage times of
// an assignment, and ok false when it breaks a constraint or memory.
func (p *problem) stages(assign []int, nodeLoad, linkLoad []float64, used []int64) (period, spread float64, ok bool) {
	if _, ok := p.loads(assign, nodeLoad, linkLoad, used); !ok {
		return 0, 0, false
	}
	for _, l := range nodeLoad {
		period, spread = max(period, l), spread+l*l
	}
	for _, l := range linkLoad {
		period, spread = max(period, l), spread+l*l
	}
	return period, spread, true
}

// improve returns a placement at least as good as assign (valueFirst:
// busiest stage, then latency, then complexity) found by descend, its
// rank (unranked when assign does not fit), and the moves it evaluated,
// at most maxMoves.
func (p *problem) improve(assign []int, maxMoves int) (improved []int, r placementRank, moves int) {
	st, ok := p.newMoveState(assign)
	if !ok {
		return assign, unranked(), 0
	}
	start, _ := p.rank(assign, true)
	if moves, ok = st.descend(maxMoves); !ok {
		return assign, start, moves // cannot happen: every move keeps memory and constraints
	}
	if r, ok := p.rank(st.assign, true); ok && valueFirst.better(r, start) {
		return st.assign, r, moves
	}
	return assign, start, moves
}

// descend improves m's placement by single-unit moves, swaps of a unit
// on the busiest node with one elsewhere and swaps of runs, each kept
// when it lowers the busiest stage or keeps it and lowers the sum of
// squared stage times, until none helps or maxMoves moves are evaluated:
// a unit moved to another node, two units exchanged, or each unit of a
// run exchanged with another run counts one. It returns the moves it
// evaluated (at most maxMoves; each costs at most two calls of move), and
// ok false when the placement stopped fitting (it cannot: every move
// keeps memory and constraints).
func (m *moveState) descend(maxMoves int) (moves int, ok bool) {
	p := m.p
	N := p.N
	period, spread := m.period(), m.spread
	better := func() bool {
		per, spr := m.period(), m.spread
		if below(per, period) || !below(period, per) && spr < spread*(1-1e-12) {
			period, spread = per, spr
			return true
		}
		return false
	}
	// Single moves, then swaps off the busiest node, again while either
	// helps: a swap can open single moves.
	for round := true; round && moves < maxMoves; {
		round = false
		for improved := true; improved && moves < maxMoves; {
			improved = false
			for u := range p.U {
				for n := range N {
					old := m.assign[u]
					if n == old {
						continue
					}
					if moves++; moves > maxMoves {
						break
					}
					if mark, ok := m.move(u, n); ok && !better() {
						m.revert(mark, u, old)
					} else if ok {
						improved = true
					}
				}
			}
			m.undo = m.undo[:0]
		}
		// Swaps: a unit on the busiest node trades places with a unit
		// elsewhere, while that helps.
		for moves < maxMoves {
			b := m.busiestNode()
			if b < 0 {
				break
			}
			found := false
			for x := 0; x < p.U && !found && moves < maxMoves; x++ {
				if m.assign[x] != b {
					continue
				}
				for y := range p.U {
					n := m.assign[y]
					if n == b {
						continue
					}
					if moves++; moves > maxMoves {
						break
					}
					m1, ok := m.move(x, n)
					if !ok {
						continue
					}
					m2, ok := m.move(y, b)
					if ok && better() {
						found, round = true, true
						break
					}
					if ok {
						m.revert(m2, y, n)
					}
					m.revert(m1, x, b)
				}
			}
			m.undo = m.undo[:0]
			if !found {
				break
			}
		}
		if m.swapRuns(better, &moves, maxMoves) {
			round = true
		}
		if !m.refresh() {
			return min(moves, maxMoves), false
		}
		period, spread = m.period(), m.spread
	}
	// The counter may run past maxMoves by moves it then did not make.
	return min(moves, maxMoves), true
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
	curC := p.complexity(cur)
	for {
		best, bestRank := []int(nil), unranked()
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
				r, ok := p.rank(trial, throughput)
				if !ok || r.latency > maxLatency || throughput && r.value > maxPeriod ||
					r.complexity >= curC {
					continue
				}
				if valueFirst.better(r, bestRank) {
					best, bestRank = append(best[:0], trial...), r
				}
			}
			start = end
		}
		if best == nil {
			return cur
		}
		copy(cur, best)
		curC = bestRank.complexity
	}
}

// swapRuns exchanges a whole run of the busiest node with a run on
// another node while that helps (by better); it counts the unit moves in
// moves and reports whether it changed the placement.
func (m *moveState) swapRuns(better func() bool, moves *int, maxMoves int) bool {
	changed := false
	for *moves < maxMoves {
		b := m.busiestNode()
		if b < 0 {
			return changed
		}
		found := false
		var done []unitMove
		for x := 0; x < m.p.U && !found && *moves < maxMoves; x = m.runEnd(x) {
			if m.assign[x] != b {
				continue
			}
			xe := m.runEnd(x)
			for y := 0; y < m.p.U && *moves < maxMoves; y = m.runEnd(y) {
				n := m.assign[y]
				if n == b {
					continue
				}
				ye := m.runEnd(y)
				if *moves += xe - x + ye - y; *moves > maxMoves {
					break // the exchange would overrun the allowance
				}
				var ok bool
				if done, ok = m.moveRuns(x, xe, n, y, ye, b, done); !ok {
					continue
				}
				if better() {
					found, changed = true, true
					break
				}
				m.revertMoves(done)
			}
		}
		m.undo = m.undo[:0]
		if !found {
			return changed
		}
	}
	return changed
}

// runEnd is the end of the run that holds unit x.
func (m *moveState) runEnd(x int) int {
	e := x
	for e < m.p.U && m.assign[e] == m.assign[x] {
		e++
	}
	return e
}

// unitMove is a move made by moveRuns: its undo mark, the unit and the
// node it came from.
type unitMove struct{ mark, u, from int }

// moveRuns puts units [x, xe) on n and [y, ye) on b (they are on b and n)
// and returns the moves, for revertMoves; when a move does not fit it
// reverts them all and reports false.
func (m *moveState) moveRuns(x, xe, n, y, ye, b int, done []unitMove) ([]unitMove, bool) {
	done = done[:0]
	for _, r := range [2][4]int{{x, xe, n, b}, {y, ye, b, n}} {
		for u := r[0]; u < r[1]; u++ {
			mark, ok := m.move(u, r[2])
			if !ok {
				m.revertMoves(done)
				return done[:0], false
			}
			done = append(done, unitMove{mark, u, r[3]})
		}
	}
	return done, true
}

// revertMoves undoes moves, newest first.
func (m *moveState) revertMoves(done []unitMove) {
	for i := len(done) - 1; i >= 0; i-- {
		m.revert(done[i].mark, done[i].u, done[i].from)
	}
}

// busiestNode is the node with the most load, or -1 when a link is the
// busiest stage.
func (m *moveState) busiestNode() int {
	period := m.period()
	for n, l := range m.load[:m.p.N] {
		if l == period {
			return n
		}
	}
	return -1
}

// perturbRounds and perturbMoves bound the iterated local search; it
// stops after perturbStall rounds without a better placement. A kick
// moves 1 to kickMoves units.
const (
	perturbRounds = 300
	perturbStall  = 100
	perturbMoves  = 20_000
	kickMoves     = 4
)

// movesPerExpansion converts the search budget (Request.MaxExpansions)
// into the local search's: one Solve's local search may evaluate at most
// budget × movesPerExpansion moves (as improve counts them, plus each
// unit a kick draws), shared by every improve and perturb call. A move
// costs O(N), an expansion O(N) to O(N²). 6 makes the default budget's
// allowance, 12 M moves, cover the most the fixed caps allow (at most
// incumbentSeeds seeds of improveMoves, then perturbRounds rounds of
// perturbMoves and kickMoves: 11.4 M; TestDefaultBudgetCoversLocalSearch),
// so the default budget searches as before and the allowance binds only
// when the caller lowers the budget. BenchmarkLarge's throughput
// instances (200 × 16: random free and tight, 5 seeds each, proportional,
// 10) evaluate 2.47–6.20 M moves at the default budget.
const movesPerExpansion = 6

// moveAllowance is what the local search of one Solve may still
// evaluate, in moves, and what it has evaluated.
type moveAllowance struct {
	left, spent int
}

// newMoveAllowance is the allowance for a search budget of budget
// expansions.
func newMoveAllowance(budget int) *moveAllowance {
	if budget > math.MaxInt/movesPerExpansion {
		return &moveAllowance{left: math.MaxInt}
	}
	return &moveAllowance{left: max(budget, 0) * movesPerExpansion}
}

// grant is how many moves a step that would evaluate up to limit may
// evaluate now.
func (a *moveAllowance) grant(limit int) int { return max(0, min(limit, a.left)) }

// spend records n moves evaluated.
func (a *moveAllowance) spend(n int) {
	a.left -= n
	a.spent += n
}

// perturb is an iterated local search from a local optimum: each round
// moves a few units of the busiest node (or of the busiest link's ends)
// to other nodes, drawn from a generator with a fixed seed, improves the
// result, and keeps it if it is better (valueFirst: busiest stage, then
// latency, then complexity). It returns the best placement and its rank.
// The same input always gives the same placement.
func (p *problem) perturb(assign []int, allowance *moveAllowance) ([]int, placementRank) {
	N := p.N
	rng := rand.New(rand.NewPCG(uint64(p.U), uint64(N)))
	st, ok := p.newMoveState(assign)
	if !ok {
		return assign, unranked()
	}
	best := assign
	bestRank, _ := p.rank(best, true)
	var on []int
	for round, last := 0, 0; round < perturbRounds && round-last < perturbStall && allowance.left > 0; round++ {
		copy(st.assign, best)
		st.refresh()
		var drawn int
		on, drawn = st.kick(rng, on, allowance.grant(kickMoves))
		allowance.spend(drawn)
		if len(on) == 0 {
			break
		}
		cand, r, moves := p.improve(st.assign, allowance.grant(perturbMoves))
		allowance.spend(moves)
		if valueFirst.better(r, bestRank) {
			best, bestRank, last = slices.Clone(cand), r, round
		}
	}
	return best, bestRank
}

// kick is one perturbation of the iterated local search: it moves one to
// four units of the busiest stage (drawn from rng, with repeats) to nodes
// drawn from rng, each through move, so the placement keeps fitting
// memory and constraints; it makes at most maxMoves of them. It returns
// the units it drew from (on's storage reused), none when no unit is on
// the busiest stage, and the moves it drew.
func (m *moveState) kick(rng *rand.Rand, on []int, maxMoves int) (units []int, moves int) {
	p := m.p
	N := p.N
	period := m.period()
	on = on[:0]
	for u := range p.U {
		if m.onBusiest(u, period) {
			on = append(on, u)
		}
	}
	if len(on) == 0 {
		return on, 0
	}
	moves = min(1+rng.IntN(kickMoves), maxMoves)
	for range moves {
		u := on[rng.IntN(len(on))]
		if n := rng.IntN(N); n != m.assign[u] {
			// Through move, like every move of the local search: a node
			// that forbids u or has no room for it leaves u where it is.
			m.move(u, n)
		}
	}
	m.undo = m.undo[:0]
	return on, moves
}

// onBusiest reports whether unit u is on the busiest stage's node, or next
// to a hop over the busiest link.
func (m *moveState) onBusiest(u int, period float64) bool {
	N := m.p.N
	n := m.assign[u]
	if m.load[n] == period {
		return true
	}
	prev, next := m.neighbours(u)
	return prev != n && m.load[N+prev*N+n] == period || next != n && m.load[N+n*N+next] == period
}
