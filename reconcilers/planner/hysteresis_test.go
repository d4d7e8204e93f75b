package planner

import (
	"errors"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

func TestKeepCurrent(t *testing.T) {
	// On twoNodes' split profile: the split a,b,a predicts 3.1005 s
	// (busiest stage 2.1 s), everything on a 3.2 s (3.2 s).
	base := func() *clusterprofile.ClusterProfile { return twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1, 2}) }
	req := Request{SourceNode: "a", HopOverheadSeconds: UseProfileHopOverhead}
	solve := func(t *testing.T, tol float64) *Plan {
		t.Helper()
		r := req
		r.Tolerance = tol
		plan, err := Solve(base(), r)
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	split, single := solve(t, 0), solve(t, 0.05)
	if len(split.Partitions) != 3 || len(single.Partitions) != 1 {
		t.Fatalf("setup: %v and %v", spans(split), spans(single))
	}
	tests := []struct {
		name      string
		prof      func() *clusterprofile.ClusterProfile
		req       func() Request
		current   *Plan
		candidate *Plan
		tolerance float64
		keep      bool
		reason    string // a substring of the reason
	}{
		{name: "nothing deployed", current: nil, candidate: split, tolerance: 0.05, reason: "no plan"},
		{name: "same placement", current: split, candidate: split, tolerance: 0, keep: true, reason: "as the current one"},
		{name: "current better than the candidate", current: split, candidate: single, tolerance: 0, keep: true, reason: "within 0%"},
		{name: "candidate 3.2% better, 5% tolerance", current: single, candidate: split, tolerance: 0.05, keep: true,
			reason: "predicted latency 3.2 s is within 5% of the new plan's 3.1 s"},
		{name: "candidate 3.2% better, 1% tolerance", current: single, candidate: split, tolerance: 0.01,
			reason: "beats the current placement's 3.2 s by 3.21%"},
		{name: "throughput: candidate 52% better", current: single, candidate: split, tolerance: 0.05,
			req:    func() Request { r := req; r.Objective = v1alpha1.ObjectiveThroughput; return r },
			reason: "busiest stage 2.1 s beats"},
		{name: "re-benchmark made the current node slow", current: single, candidate: split, tolerance: 0.05,
			prof:   func() *clusterprofile.ClusterProfile { return twoNodes([3]float64{1, 2, 1}, [3]float64{2, 1, 2}) },
			reason: "beats the current placement's 4 s"},
		{name: "node gone", current: split, candidate: single, tolerance: 0.05,
			prof: func() *clusterprofile.ClusterProfile {
				p := base()
				p.Nodes, p.Links = p.Nodes[:1], nil
				return p
			}, reason: `node "b" (vmb) of partition 1 is not in the profile`},
		{name: "memory shrank", current: split, candidate: single, tolerance: 0.05,
			prof: func() *clusterprofile.ClusterProfile {
				p := base()
				p.Nodes[1].FreeMemoryBytes = 512 << 10
				return p
			}, reason: "the units on vmb need 1.0 MiB"},
		{name: "a new avoid rule", current: split, candidate: single, tolerance: 0.05,
			req: func() Request {
				r := req
				r.Avoid = []Avoid{{Start: 1, End: 2, Nodes: []string{"b"}, Origin: "spec.constraints.avoid[0]"}}
				return r
			}, reason: `unit "u1" may not run on vmb: excluded by spec.constraints.avoid[0]`},
		{name: "another source", current: split, candidate: single, tolerance: 0.05,
			req: func() Request { r := req; r.SourceNode = "b"; return r }, reason: "source node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof, r := base(), req
			if tt.prof != nil {
				prof = tt.prof()
			}
			if tt.req != nil {
				r = tt.req()
			}
			keep, reason := KeepCurrent(prof, r, tt.current, tt.candidate, tt.tolerance)
			if keep != tt.keep || !strings.Contains(reason, tt.reason) {
				t.Errorf("keep %v (%s), want %v (%s)", keep, reason, tt.keep, tt.reason)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	prof := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1, 2})
	req := Request{SourceNode: "a", HopOverheadSeconds: UseProfileHopOverhead}
	plan, err := Solve(prof, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(prof, req, plan)
	if err != nil || got != plan.Totals {
		t.Errorf("evaluate %+v (%v), the plan says %+v", got, err, plan.Totals)
	}
	// Slower on the new profile: b's unit 1 takes 1.5 s instead of 1.
	slower := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1.5, 2})
	if got, err := Evaluate(slower, req, plan); err != nil || !near(got.LatencySeconds, 3.6005) {
		t.Errorf("on the new profile: %+v (%v), want latency 3.6005", got, err)
	}
	broken := *plan
	broken.Partitions = plan.Partitions[:2]
	if _, err := Evaluate(prof, req, &broken); !errors.Is(err, ErrNoLongerFits) || !strings.Contains(err.Error(), "end at unit 2 of 3") {
		t.Errorf("a plan missing its last partition: %v", err)
	}
	broken.Units = 4
	if _, err := Evaluate(prof, req, &broken); !errors.Is(err, ErrNoLongerFits) || !strings.Contains(err.Error(), "4 units") {
		t.Errorf("a plan of another model: %v", err)
	}
}

func TestRebuild(t *testing.T) {
	req := Request{SourceNode: "a", HopOverheadSeconds: UseProfileHopOverhead}
	plan, err := Solve(twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1, 2}), req)
	if err != nil {
		t.Fatal(err)
	}
	// b's unit 1 now takes 1.5 s: the same placement predicts 0.5 s more.
	slower := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1.5, 2})
	got, err := Rebuild(slower, req, plan)
	if err != nil {
		t.Fatal(err)
	}
	if !equalSpans(spans(got), spans(plan)) || !near(got.Totals.LatencySeconds, 3.6005) ||
		!near(got.Partitions[1].ComputeSeconds, 1.5) || got.Optimal {
		t.Errorf("rebuilt %v latency %v partition 1 %v optimal %v", spans(got), got.Totals.LatencySeconds,
			got.Partitions[1].ComputeSeconds, got.Optimal)
	}
	if b := got.Baselines.Source; !near(b.Totals.LatencySeconds, 3.2) || !near(b.LatencySpeedup, 3.2/3.6005) {
		t.Errorf("baseline on the new profile %+v", b)
	}
}

func TestReplan(t *testing.T) {
	// The deployed plan: everything on a (3.2 s) when b was slow. On the
	// split profile a,b,a predicts 3.1005 s: 3.2% better.
	slowB := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 5, 2})
	split := twoNodes([3]float64{1, 1.2, 1}, [3]float64{2, 1, 2})
	req := Request{SourceNode: "a", HopOverheadSeconds: UseProfileHopOverhead}
	deployed, err := Solve(slowB, req)
	if err != nil || len(deployed.Partitions) != 1 {
		t.Fatalf("setup: %v %v", deployed, err)
	}
	// Deployed split, then a's unit 1 gets faster: everything on a
	// predicts 3.1 s, the split 3.1005 s.
	deployedSplit, err := Solve(split, req)
	if err != nil || len(deployedSplit.Partitions) != 3 {
		t.Fatalf("setup: %v %v", deployedSplit, err)
	}
	fastA := twoNodes([3]float64{1, 1.1, 1}, [3]float64{2, 1, 2})
	tests := []struct {
		name      string
		prof      *clusterprofile.ClusterProfile
		current   *Plan
		tolerance float64
		kept      bool
		want      []span
		latency   float64
		optimum   float64
	}{
		{"nothing deployed, no tolerance", split, nil, 0, false, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005, 3.1005},
		{"nothing deployed, 5%", split, nil, 0.05, false, []span{{0, 3, "a"}}, 3.2, 3.1005},
		{"deployed, 5%: the same placement", split, deployed, 0.05, true, []span{{0, 3, "a"}}, 3.2, 3.1005},
		{"deployed, 1%: replaced", split, deployed, 0.01, false, []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005, 3.1005},
		// The new plan differs (one node) but gains 0.016%: no churn.
		{"split deployed, simpler plan now optimal: kept", fastA, deployedSplit, 0.05, true,
			[]span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, 3.1005, 3.1},
		{"split deployed, no tolerance: replaced", fastA, deployedSplit, 0, false, []span{{0, 3, "a"}}, 3.1, 3.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req
			r.Tolerance = tt.tolerance
			d, err := Replan(tt.prof, r, tt.current)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kept != tt.kept || !equalSpans(spans(d.Plan), tt.want) || !near(d.Plan.Totals.LatencySeconds, tt.latency) {
				t.Errorf("kept %v %v latency %v (%s), want %v %v %v", d.Kept, spans(d.Plan), d.Plan.Totals.LatencySeconds,
					d.Reason, tt.kept, tt.want, tt.latency)
			}
			if !near(d.Plan.Optimum, tt.optimum) {
				t.Errorf("optimum %v, want %v", d.Plan.Optimum, tt.optimum)
			}
		})
	}
}
