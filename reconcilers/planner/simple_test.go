package planner

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// twoNodes: source a and worker b on a fast link, three units with the
// given times on each; with a 0.05 s hop overhead the hops cost 0.05 s
// plus bytes/bandwidth (tinyProfile's bytes at 1 MB/s).
func twoNodes(onA, onB [3]float64) *clusterprofile.ClusterProfile {
	p := tinyProfile()
	for i := range 3 {
		p.Nodes[0].Units[i].Seconds = onA[i]
		p.Nodes[1].Units[i].Seconds = onB[i]
	}
	for i := range p.Links {
		p.Links[i].RTTSeconds, p.Links[i].BandwidthBytesPerSecond = 0, 1e6
	}
	p.HopOverheadSeconds = ptr(0.05)
	return p
}

// TestToleranceSplit checks the rule on hand-computed plans: a split is
// taken only when it beats every simpler placement by more than the
// tolerance.
func TestToleranceSplit(t *testing.T) {
	// a,b,a: 3 + 0.0502 + 0.0503 = 3.1005; everything on a: 3.2, 3.2%
	// slower; on b: 5 + 0.0501 + 0.05004.
	split := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1, 2})
	// everything on b: 2.7 + 0.10014 = 2.80014; on a: 3, 7.1% slower.
	faster := twoNodes([3]float64{1, 1, 1}, [3]float64{0.9, 0.9, 0.9})
	tests := []struct {
		name      string
		prof      *clusterprofile.ClusterProfile
		objective v1alpha1.Objective
		tolerance float64
		want      []span
		latency   float64
	}{
		{"no tolerance takes the split", split, "", 0, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005},
		{"1% takes the split", split, "", 0.01, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005},
		{"just under the gain takes the split", split, "", 0.0320, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005},
		{"just over the gain stays on one node", split, "", 0.0322, []span{{0, 3, "a"}}, 3.2},
		{"5% stays on one node", split, "", 0.05, []span{{0, 3, "a"}}, 3.2},
		{"one partition, fewer hops: the source", faster, "", 0.08, []span{{0, 3, "a"}}, 3},
		{"one partition, gain beyond the tolerance", faster, "", 0.05, []span{{0, 3, "b"}}, 2.80014},
		// busiest stage: a,b,a 2.1 (a: 2 + 2 hops), a alone 3.2.
		{"throughput split", split, v1alpha1.ObjectiveThroughput, 0.05, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005},
		{"throughput within 60%", split, v1alpha1.ObjectiveThroughput, 0.6, []span{{0, 3, "a"}}, 3.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Solve(tt.prof, Request{SourceNode: "a", Objective: tt.objective, Tolerance: tt.tolerance,
				HopOverheadSeconds: UseProfileHopOverhead})
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(plan); !equalSpans(got, tt.want) || !near(plan.Totals.LatencySeconds, tt.latency) {
				t.Errorf("partitions %v latency %.6g, want %v and %.6g", got, plan.Totals.LatencySeconds, tt.want, tt.latency)
			}
			if !plan.Optimal || plan.Tolerance != tt.tolerance {
				t.Errorf("optimal %v tolerance %v", plan.Optimal, plan.Tolerance)
			}
		})
	}
}

func TestBadTolerance(t *testing.T) {
	for _, tol := range []float64{-0.1, 1.5} {
		_, err := Solve(tinyProfile(), Request{SourceNode: "a", Tolerance: tol})
		if err == nil || !strings.Contains(err.Error(), "tolerance") {
			t.Errorf("tolerance %v: got %v", tol, err)
		}
	}
}

// TestLargeSimplestProven: on 200 x 16 instances whose memory binds, the
// simplest plan within 5% is proven within the default budget and is
// simpler than the optimum (seeds where the search once stopped at the
// budget before the budget-tuned prices).
func TestLargeSimplestProven(t *testing.T) {
	for _, seed := range []uint64{1, 31} {
		prof, req := randomInstance(newRand(seed), instanceOptions{nodes: 16, units: 200, memoryTight: true})
		full, err := Solve(prof, req)
		if err != nil {
			t.Fatal(err)
		}
		req.Tolerance = 0.05
		plan, err := Solve(prof, req)
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Optimal || len(plan.Partitions) >= len(full.Partitions) ||
			plan.Totals.LatencySeconds > full.Totals.LatencySeconds*1.05*(1+1e-9) {
			t.Errorf("seed %d: optimal=%v after %d expansions; %d partitions, latency %.4g; the optimum %d partitions, %.4g",
				seed, plan.Optimal, plan.Expansions, len(plan.Partitions), plan.Totals.LatencySeconds,
				len(full.Partitions), full.Totals.LatencySeconds)
		}
	}
}
