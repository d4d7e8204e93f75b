package planner

import (
	"math"
	"slices"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
)

// tightTiny is tinyProfile planned for throughput from a, with room for
// three units on a and one on b (every unit takes 1 MiB on either node).
func tightTiny(t *testing.T) *problem {
	t.Helper()
	p, err := newProblem(tinyProfile(), &Request{SourceNode: "a", Objective: v1alpha1.ObjectiveThroughput,
		HopOverheadSeconds: UseProfileHopOverhead})
	if err != nil {
		t.Fatal(err)
	}
	p.capacity[0], p.capacity[1] = 3<<20, 1<<20
	return p
}

// TestKickKeepsMemory checks that the iterated local search's
// perturbation moves units only where they fit, like every other move:
// from a, b, a (b full, the busiest stage the link a→b, so unit 0 is one
// of the units a kick draws), no kick may leave a node overfilled.
func TestKickKeepsMemory(t *testing.T) {
	p := tightTiny(t)
	start := []int{0, 1, 0}
	if _, _, ok := p.score(start); !ok {
		t.Fatal("the start placement does not fit")
	}
	moved := 0
	for seed := range 200 {
		st, ok := p.newMoveState(start)
		if !ok {
			t.Fatal("newMoveState rejected a placement that fits")
		}
		on, _ := st.kick(newRand(uint64(seed)), nil, kickMoves)
		if len(on) == 0 {
			t.Fatalf("seed %d: no unit on the busiest stage", seed)
		}
		if _, _, ok := p.score(st.assign); !ok {
			t.Fatalf("seed %d: the kick left %v, which overfills a node (b holds one unit)", seed, st.assign)
		}
		if !st.refresh() {
			t.Fatalf("seed %d: the kick's state %v does not fit", seed, st.assign)
		}
		if st.assign[0] != start[0] || st.assign[1] != start[1] || st.assign[2] != start[2] {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no kick moved a unit: the test exercises nothing")
	}
}

// TestPerturbKeepsMemory checks the iterated local search as a whole on
// the same instance: its placement fits and is no worse than its start.
func TestPerturbKeepsMemory(t *testing.T) {
	p := tightTiny(t)
	start := []int{0, 1, 0}
	startLat, startPeriod, _ := p.score(start)
	got, _ := p.perturb(start, newMoveAllowance(DefaultMaxExpansions))
	lat, period, ok := p.score(got)
	if !ok {
		t.Fatalf("perturb returned %v, which overfills a node", got)
	}
	if below(startPeriod, period) || !below(period, startPeriod) && below(startLat, lat) {
		t.Fatalf("perturb returned %v (period %g, latency %g), worse than its start (%g, %g)", got, period, lat, startPeriod, startLat)
	}
}

// proportionalProblem is proportionalInstance's problem (throughput).
func proportionalProblem(t *testing.T, seed uint64, nodes, units int) *problem {
	t.Helper()
	prof, req := proportionalInstance(seed, nodes, units)
	p, err := newProblem(prof, &req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImproveHonoursMaxMoves checks that improve evaluates no more moves
// than it is allowed, and that the cap is what stops it: the same start
// without a cap takes more.
func TestImproveHonoursMaxMoves(t *testing.T) {
	p := proportionalProblem(t, 0, 8, 60)
	start := p.chain(p.speedOrder())
	if _, _, ok := p.score(start); !ok {
		t.Fatal("the chain does not fit")
	}
	_, _, free := p.improve(start, math.MaxInt)
	for _, maxMoves := range []int{0, 1, 7, 100, free / 2} {
		got, _, moves := p.improve(start, maxMoves)
		if moves > maxMoves {
			t.Errorf("maxMoves %d: improve evaluated %d moves", maxMoves, moves)
		}
		// The work itself, counted where it is done: a move evaluated
		// calls move at most twice (a swap). The count improve reports
		// is clamped to maxMoves, so it is checked against the calls:
		// it must cover them.
		st, _ := p.newMoveState(start)
		dm, ok := st.descend(maxMoves)
		if !ok {
			t.Fatalf("maxMoves %d: the placement stopped fitting", maxMoves)
		}
		if dm != moves {
			t.Errorf("maxMoves %d: improve reported %d moves, its descent %d", maxMoves, moves, dm)
		}
		if st.calls > 2*maxMoves || st.calls > 2*dm {
			t.Errorf("maxMoves %d: descend called move %d times for %d moves reported", maxMoves, st.calls, dm)
		}
		if _, _, ok := p.score(got); !ok {
			t.Errorf("maxMoves %d: improve returned a placement that does not fit", maxMoves)
		}
		if maxMoves == 0 && !slices.Equal(got, start) {
			t.Errorf("maxMoves 0: improve changed the placement")
		}
	}
	if free <= 100 {
		t.Fatalf("improve without a cap stopped after %d moves: the caps above bound nothing", free)
	}
}

// TestLocalSearchHonoursBudget checks that the throughput incumbent's
// local search (the seeds' improve and the iterated local search) spends
// at most budget × movesPerExpansion moves, counted, for the search
// budget the caller set; and that the default budget is not what stops
// it on this instance, so the small budgets really bound it.
func TestLocalSearchHonoursBudget(t *testing.T) {
	for _, tt := range []struct {
		name   string
		budget int
	}{
		{"one expansion", 1},
		{"ten expansions", 10},
		{"a thousand expansions", 1000},
		{"the default", DefaultMaxExpansions},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := proportionalProblem(t, 1, 8, 60)
			s1 := newSearch(p, true, math.Inf(1), tt.budget)
			moves := newMoveAllowance(tt.budget)
			inc, _, _ := p.throughputStart(s1, tt.budget, moves)
			if inc == nil {
				t.Fatal("no incumbent")
			}
			if _, _, ok := p.score(inc); !ok {
				t.Fatal("the incumbent does not fit")
			}
			allowed := tt.budget * movesPerExpansion
			if moves.spent > allowed {
				t.Errorf("the local search evaluated %d moves, the budget allows %d", moves.spent, allowed)
			}
			if tt.budget == DefaultMaxExpansions && moves.spent < 2*1000*movesPerExpansion {
				t.Errorf("with the default budget the local search evaluated only %d moves: "+
					"the smaller budgets bound nothing", moves.spent)
			}
			t.Logf("budget %d: %d moves", tt.budget, moves.spent)
		})
	}
}

// TestDefaultBudgetCoversLocalSearch checks movesPerExpansion's promise:
// at the default budget the allowance covers every move the fixed caps
// let the local search evaluate, so only a lowered budget binds it.
func TestDefaultBudgetCoversLocalSearch(t *testing.T) {
	most := incumbentSeeds*improveMoves + perturbRounds*(perturbMoves+kickMoves)
	if allowed := newMoveAllowance(DefaultMaxExpansions).left; allowed < most {
		t.Fatalf("the default budget allows %d moves, the caps %d", allowed, most)
	}
}
