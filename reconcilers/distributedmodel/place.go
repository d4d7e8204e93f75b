package distributedmodel

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// ensurePlan returns the placement for the profile's (ready) nodes,
// re-planning only when the profile, the ready node set or the spec changed;
// a new plan fits in the memory the other models' workloads leave.
func (s *session) ensurePlan(ctx context.Context, prof *clusterprofile.ClusterProfile, ready []runtime.Node) (*planner.Plan, error) {
	key := store.Key(s.rec.ProfileKey, nodeKey(ready), s.rec.SpecHash)
	var old planner.Plan
	planPath, err := PlanPath(s.r.Store, s.name)
	if err != nil {
		return nil, err
	}
	hadPlan, err := store.ReadJSON(planPath, &old)
	if err != nil {
		// A corrupt plan is a cache miss: plan again.
		s.log.Warn("stored plan unreadable: planning again", zap.Error(err))
		hadPlan, old = false, planner.Plan{}
	}
	if hadPlan && key == s.rec.PlanKey {
		return &old, nil
	}
	if hadPlan {
		if gone := missingNodes(&old, ready); len(gone) > 0 {
			msg := fmt.Sprintf("node(s) %s hosting partitions are unavailable: re-placing on the %d ready nodes", strings.Join(gone, ", "), len(ready))
			s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionTrue, reasonNodeUnavailable, msg)
			s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionFalse, reasonNodeUnavailable, msg)
			s.event(true, reasonNodeUnavailable, "%s", msg)
			s.save()
		}
	}
	others, err := s.othersReserved(ctx)
	if err != nil {
		return nil, err
	}
	prof = withReserved(prof, others)
	req, err := planner.RequestFromSpec(&s.obj.Spec, prof)
	if err != nil {
		return nil, err
	}
	// Hysteresis: with the spec unchanged (new measurements, a node that
	// came or went), the deployed placement stays unless the new plan
	// beats it by more than spec.placement.tolerance or it no longer fits.
	var plan *planner.Plan
	if hadPlan && s.rec.PlanSpecHash == s.rec.SpecHash {
		d, err := planner.Replan(prof, req, &old)
		if err != nil {
			return nil, err
		}
		if plan = d.Plan; d.Kept && !s.dryRun() {
			s.event(false, "PlacementKept", "placement kept: %s", d.Reason)
		}
	} else if plan, err = planner.Solve(prof, req); err != nil {
		return nil, err
	}
	desc := describePlan(plan)
	if s.dryRun() {
		if !hadPlan || describePlan(&old) != desc {
			s.note(&s.dry.Replace, &s.dry.ReplaceReason, desc)
		}
		return plan, nil
	}
	if err := store.WriteJSON(planPath, plan); err != nil {
		return nil, err
	}
	s.rec.PlanKey, s.rec.PlanSpecHash = key, s.rec.SpecHash
	if hadPlan && describePlan(&old) != desc {
		s.event(false, "PlacementChanged", "placement changed from %s to %s", describePlan(&old), desc)
	} else if !hadPlan {
		s.event(false, "Placed", "placed %s", desc)
	}
	s.setCondition(v1alpha1.ConditionPlaced, v1alpha1.ConditionTrue, v1alpha1.ReasonSucceeded,
		fmt.Sprintf("%s; predicted latency %.2f ms, throughput %.1f/s", desc, 1e3*plan.Totals.LatencySeconds, plan.Totals.Throughput))
	return plan, nil
}

// reasonNodeUnavailable marks a model re-placed because a node hosting one
// of its partitions went away.
const reasonNodeUnavailable = "NodeUnavailable"

// describePlan renders a plan's placement: "units 0-11 on node1, 12-30 on node3".
func describePlan(p *planner.Plan) string {
	parts := make([]string, len(p.Partitions))
	for i, pt := range p.Partitions {
		host := pt.Hostname
		if host == "" {
			host = pt.Node
		}
		parts[i] = fmt.Sprintf("units %d-%d on %s", pt.Start, pt.End-1, host)
	}
	return strings.Join(parts, ", ")
}

// missingNodes lists the plan's nodes that are not ready.
func missingNodes(p *planner.Plan, ready []runtime.Node) []string {
	up := map[string]bool{}
	for _, n := range ready {
		up[n.ID] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, pt := range p.Partitions {
		if !up[pt.Node] && !seen[pt.Node] {
			seen[pt.Node] = true
			out = append(out, pt.Hostname)
		}
	}
	return out
}

// othersReserved sums, per node, the memory the workloads of the other
// models reserve there.
func (s *session) othersReserved(ctx context.Context) (map[string]int64, error) {
	all, err := s.r.Runtime.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list the workloads of other models: %w", err)
	}
	used := map[string]int64{}
	for _, o := range all {
		if o.Model != s.name {
			used[o.Node] += o.MemoryReservation
		}
	}
	return used, nil
}

// withReserved is prof with each node's free memory less what is reserved
// there (a copy when anything is): the planner places a model in the
// memory the others leave.
func withReserved(prof *clusterprofile.ClusterProfile, used map[string]int64) *clusterprofile.ClusterProfile {
	if len(used) == 0 {
		return prof
	}
	cp := *prof
	cp.Nodes = slices.Clone(prof.Nodes)
	for i := range cp.Nodes {
		n := &cp.Nodes[i]
		n.FreeMemoryBytes = max(1, n.FreeMemoryBytes-used[n.ID]) // a profile's free memory is positive
	}
	return &cp
}
