package planner

import (
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
		on := st.kick(newRand(uint64(seed)), nil)
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
	got := p.perturb(start)
	lat, period, ok := p.score(got)
	if !ok {
		t.Fatalf("perturb returned %v, which overfills a node", got)
	}
	if below(startPeriod, period) || !below(period, startPeriod) && below(startLat, lat) {
		t.Fatalf("perturb returned %v (period %g, latency %g), worse than its start (%g, %g)", got, period, lat, startPeriod, startLat)
	}
}
