package planner

import (
	"math"
	"testing"
)

// TestRankOrder checks both orders on placements that differ by one key
// at a time, at and beyond the tolerance (relTol, 1e-12 relative: values
// closer than that are the same value), and on ties.
func TestRankOrder(t *testing.T) {
	inf := math.Inf(1)
	base := placementRank{value: 1, latency: 2, complexity: 6}
	with := func(value, latency float64, complexity int) placementRank {
		return placementRank{value: value, latency: latency, complexity: complexity}
	}
	tests := []struct {
		name  string
		order rankOrder
		a, b  placementRank
		want  bool // better(a, b)
	}{
		{"value first: lower value", valueFirst, with(0.9, 2, 6), base, true},
		{"value first: higher value", valueFirst, with(1.1, 2, 6), base, false},
		{"value first: lower value wins over latency and complexity", valueFirst, with(0.9, 9, 20), base, true},
		{"value first: lower beyond the tolerance", valueFirst, with(1-2e-12, 2, 6), base, true},
		{"value first: lower within the tolerance is a tie", valueFirst, with(1-5e-13, 2, 6), base, false},
		{"value first: within the tolerance, latency decides", valueFirst, with(1-5e-13, 3, 6), with(1, 2, 6), false},
		{"value first: within the tolerance the other way, latency decides", valueFirst, with(1, 2, 6), with(1-5e-13, 3, 6), true},
		{"value first: equal value, lower latency", valueFirst, with(1, 1.5, 8), base, true},
		{"value first: latency within the tolerance is a tie", valueFirst, with(1, 2-1e-12, 8), base, false},
		{"value first: equal value and latency, fewer partitions or hops", valueFirst, with(1, 2, 4), base, true},
		{"value first: equal value and latency, more partitions or hops", valueFirst, with(1, 2, 7), base, false},
		{"value first: within the tolerance, complexity decides", valueFirst, with(1+5e-13, 2-5e-13, 5), base, true},
		{"value first: a tie is not better", valueFirst, base, base, false},
		{"value first: any placement beats unranked", valueFirst, with(1e6, 1e6, 1e6), unranked(), true},
		{"value first: unranked beats nothing", valueFirst, unranked(), base, false},
		{"value first: unranked ties unranked", valueFirst, unranked(), unranked(), false},
		{"value first: zero value", valueFirst, with(0, 0, 2), with(0, 0, 3), true},
		{"value first: infinite latency loses", valueFirst, with(1, inf, 2), base, false},

		{"complexity first: simpler wins over value", complexityFirst, with(5, 9, 4), base, true},
		{"complexity first: more complex loses to any value", complexityFirst, with(0.1, 0.1, 7), base, false},
		{"complexity first: equal complexity, lower value", complexityFirst, with(0.9, 3, 6), base, true},
		{"complexity first: value within the tolerance, latency decides", complexityFirst, with(1+5e-13, 1.5, 6), base, true},
		{"complexity first: value beyond the tolerance", complexityFirst, with(1+2e-12, 1.5, 6), base, false},
		{"complexity first: a tie is not better", complexityFirst, base, base, false},
		{"complexity first: any placement beats unranked", complexityFirst, with(1e6, 1e6, 1e6), unranked(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.order.better(tt.a, tt.b); got != tt.want {
				t.Errorf("better(%+v, %+v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if tt.order.better(tt.a, tt.b) && tt.order.better(tt.b, tt.a) {
				t.Errorf("%+v and %+v are each better than the other", tt.a, tt.b)
			}
		})
	}
}

// TestRank checks that rank reads the objective's value, the latency and
// the complexity of a placement, and refuses one that overfills a node.
func TestRank(t *testing.T) {
	p := tightTiny(t)
	for _, tt := range []struct {
		name       string
		assign     []int
		throughput bool
		ok         bool
	}{
		{"latency on the source", []int{0, 0, 0}, false, true},
		{"throughput split", []int{0, 1, 0}, true, true},
		{"b overfilled", []int{1, 1, 0}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := p.rank(tt.assign, tt.throughput)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			lat, per, _ := p.score(tt.assign)
			want := placementRank{value: lat, latency: lat, complexity: p.complexity(tt.assign)}
			if tt.throughput {
				want.value = per
			}
			if r != want {
				t.Errorf("rank = %+v, want %+v", r, want)
			}
		})
	}
}
