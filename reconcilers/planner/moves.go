package planner

import (
	"math"
	"slices"
)

// moveState evaluates single-unit moves incrementally for the local
// search: moving unit u changes only its own node's and its new node's
// loads, its neighbours' overhead and the four links around it, so a move
// costs O(N) (the node maximum) instead of a pass over the placement, and
// O(N²) when it lightens the busiest link (the link maximum is found
// again).
// Stage s is node s for s < N and link m→n for s = N + m·N + n.
type moveState struct {
	p      *problem
	assign []int
	load   []float64
	used   []int64
	// linkMax is the busiest link's load.
	linkMax float64
	spread  float64
	// undo holds the stage values a move overwrote, newest last.
	undo []stageValue
	// calls counts the calls of move, the work a search on m has done.
	calls int
}

type stageValue struct {
	s int
	v float64
}

// newMoveState evaluates assign from scratch; ok is false when it breaks a
// constraint or memory.
func (p *problem) newMoveState(assign []int) (*moveState, bool) {
	m := &moveState{p: p, assign: append([]int(nil), assign...), load: make([]float64, p.N+p.N*p.N), used: make([]int64, p.N)}
	return m, m.refresh()
}

// refresh evaluates the placement from scratch (clearing the rounding of
// incremental updates); false when it breaks a constraint or memory.
func (m *moveState) refresh() bool {
	N := m.p.N
	_, spread, ok := m.p.stages(m.assign, m.load[:N], m.load[N:], m.used)
	if !ok {
		return false
	}
	m.undo = m.undo[:0]
	m.linkMax, m.spread = slices.Max(m.load[N:]), spread
	return true
}

// period is the busiest stage.
func (m *moveState) period() float64 {
	v := m.linkMax
	for _, l := range m.load[:m.p.N] {
		v = max(v, l)
	}
	return v
}

// neighbours are the nodes of units u-1 and u+1 (the source before the
// first and after the last).
func (m *moveState) neighbours(u int) (prev, next int) {
	prev, next = m.p.src, m.p.src
	if u > 0 {
		prev = m.assign[u-1]
	}
	if u+1 < m.p.U {
		next = m.assign[u+1]
	}
	return prev, next
}

func (m *moveState) add(s int, v float64) {
	m.undo = append(m.undo, stageValue{s, m.load[s]})
	m.load[s] += v
}

// contribute adds (sign 1) or removes (sign -1) unit u on node n: its
// compute and the hops into and out of it.
func (m *moveState) contribute(u, n int, sign float64) {
	p := m.p
	N, o := p.N, p.overhead
	prev, next := m.neighbours(u)
	m.add(n, sign*p.comp[u*N+n])
	if prev != n {
		m.add(N+prev*N+n, sign*p.hop(u, prev, n))
		m.add(prev, sign*o)
		m.add(n, sign*o)
	}
	if next != n {
		m.add(N+n*N+next, sign*p.hop(u+1, n, next))
		m.add(n, sign*o)
		m.add(next, sign*o)
	}
}

// move puts unit u on n and returns the undo mark to revert it with; ok is
// false (nothing changed) when n is forbidden or full.
func (m *moveState) move(u, n int) (mark int, ok bool) {
	m.calls++
	p := m.p
	N := p.N
	a := m.assign[u]
	if math.IsInf(p.comp[u*N+n], 1) || m.used[n]+p.mem[u*N+n] > p.capacity[n] {
		return 0, false
	}
	mark = len(m.undo)
	m.undo = append(m.undo, stageValue{-1, m.linkMax}, stageValue{-2, m.spread})
	m.contribute(u, a, -1)
	m.used[a] -= p.mem[u*N+a]
	m.assign[u] = n
	m.used[n] += p.mem[u*N+n]
	m.contribute(u, n, 1)
	// The stages touched, each counted once from its first old value.
	rescan := false
	for i := len(m.undo) - 1; i >= mark+2; i-- {
		sv := m.undo[i]
		first := true
		for j := mark + 2; j < i; j++ {
			if m.undo[j].s == sv.s {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		l := m.load[sv.s]
		m.spread += l*l - sv.v*sv.v
		if sv.s >= N {
			if l >= m.linkMax {
				m.linkMax = l
			} else if sv.v >= m.linkMax {
				rescan = true
			}
		}
	}
	if rescan {
		m.linkMax = 0
		for _, l := range m.load[N:] {
			m.linkMax = max(m.linkMax, l)
		}
	}
	return mark, true
}

// revert undoes the moves since mark, newest first; from is the node unit
// u was on before the move.
func (m *moveState) revert(mark, u, from int) {
	p := m.p
	N := p.N
	n := m.assign[u]
	m.used[n] -= p.mem[u*N+n]
	m.used[from] += p.mem[u*N+from]
	m.assign[u] = from
	for i := len(m.undo) - 1; i >= mark+2; i-- {
		m.load[m.undo[i].s] = m.undo[i].v
	}
	m.linkMax, m.spread = m.undo[mark].v, m.undo[mark+1].v
	m.undo = m.undo[:mark]
}
