package planner

import (
	"errors"
	"fmt"
	"math"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// ErrNoLongerFits is matched (errors.Is) by Evaluate's errors for a
// placement that cannot run on the profile as it is now.
var ErrNoLongerFits = errors.New("placement no longer fits")

// Evaluate predicts the performance of a plan's placement on a profile
// under a request, typically a deployed plan on a newer profile. It fails
// with ErrNoLongerFits when the placement cannot run there: the model has
// a different number of units, the source node changed, a partition's node
// is gone, a constraint of the request now forbids a unit on its node, or
// a node no longer has the memory for the units placed on it.
func Evaluate(prof *clusterprofile.ClusterProfile, req Request, plan *Plan) (Totals, error) {
	p, assign, err := resolve(prof, req, plan)
	if err != nil {
		return Totals{}, err
	}
	t, _ := p.evaluate(prof, assign)
	return t, nil
}

// Rebuild returns the plan's placement with every prediction (partitions,
// hops, nodes, totals, baselines) recomputed on the profile under the
// request — what a kept plan predicts after a re-benchmark. It fails as
// Evaluate does. The search's results are not known for it: Optimal is
// false, Optimum, LowerBound and Expansions are zero.
func Rebuild(prof *clusterprofile.ClusterProfile, req Request, plan *Plan) (*Plan, error) {
	p, assign, err := resolve(prof, req, plan)
	if err != nil {
		return nil, err
	}
	obj := req.Objective
	if obj == "" {
		obj = v1alpha1.ObjectiveLatency
	}
	out := p.buildPlan(prof, obj, assign)
	out.Tolerance = req.Tolerance
	return out, nil
}

// resolve builds the problem and the plan's assignment on it.
func resolve(prof *clusterprofile.ClusterProfile, req Request, plan *Plan) (*problem, []int, error) {
	if plan == nil {
		return nil, nil, errors.New("evaluate: no plan")
	}
	p, err := newProblem(prof, &req)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate: %w", err)
	}
	if plan.Units != p.U {
		return nil, nil, fmt.Errorf("%w: the plan has %d units, the profiled model %d", ErrNoLongerFits, plan.Units, p.U)
	}
	if prof.NodeIndex(plan.SourceNode) != p.src {
		return nil, nil, fmt.Errorf("%w: the plan's source node is %q, the request's %q", ErrNoLongerFits, plan.SourceNode, req.SourceNode)
	}
	assign, err := p.assignment(prof, plan)
	if err != nil {
		return nil, nil, err
	}
	return p, assign, nil
}

// assignment turns a plan's partitions into a node per unit, checking
// that they cover the units in order and fit the profile's nodes.
func (p *problem) assignment(prof *clusterprofile.ClusterProfile, plan *Plan) ([]int, error) {
	N := p.N
	assign := make([]int, p.U)
	used := make([]int64, N)
	next := 0
	for _, part := range plan.Partitions {
		if part.Start != next || part.End <= part.Start || part.End > p.U {
			return nil, fmt.Errorf("%w: partition %d covers units [%d,%d), expected to start at %d",
				ErrNoLongerFits, part.Index, part.Start, part.End, next)
		}
		n := prof.NodeIndex(part.Node)
		if n < 0 {
			return nil, fmt.Errorf("%w: node %q (%s) of partition %d is not in the profile",
				ErrNoLongerFits, part.Node, part.Hostname, part.Index)
		}
		for u := part.Start; u < part.End; u++ {
			if math.IsInf(p.comp[u*N+n], 1) {
				return nil, fmt.Errorf("%w: unit %q may not run on %s: %s", ErrNoLongerFits,
					prof.Model.Units[u].Name, prof.Nodes[n].Hostname, p.forbidding(u, n))
			}
			assign[u] = n
			used[n] += p.mem[u*N+n]
		}
		next = part.End
	}
	if next != p.U {
		return nil, fmt.Errorf("%w: the partitions end at unit %d of %d", ErrNoLongerFits, next, p.U)
	}
	for n := range N {
		if used[n] > p.capacity[n] {
			return nil, fmt.Errorf("%w: the units on %s need %s, it offers %s", ErrNoLongerFits,
				prof.Nodes[n].Hostname, v1alpha1.FormatBytes(used[n]), v1alpha1.FormatBytes(p.capacity[n]))
		}
	}
	return assign, nil
}

// forbidding names the constraint that keeps unit u off node n.
func (p *problem) forbidding(u, n int) string {
	switch {
	case p.pinned[u] >= 0 && p.pinned[u] != n:
		return "pinned elsewhere by " + p.pinFrom[u]
	case p.avoided[u*p.N+n] != "":
		return "excluded by " + p.avoided[u*p.N+n]
	default:
		return "excluded by the node selector"
	}
}

// KeepCurrent decides, after the profile changed (a re-benchmark), whether
// the deployed plan stays: both plans are evaluated on the new profile
// under the request, and the current one is kept unless it no longer fits
// (see Evaluate) or the candidate beats it by more than tolerance (a
// fraction, as spec.placement.tolerance: the current plan's objective
// value exceeds the candidate's times 1+tolerance). The reason says why,
// with the numbers, for an event or a condition message.
func KeepCurrent(prof *clusterprofile.ClusterProfile, req Request, current, candidate *Plan, tolerance float64) (keep bool, reason string) {
	if current == nil {
		return false, "no plan is deployed"
	}
	if math.IsNaN(tolerance) || tolerance < 0 {
		tolerance = 0
	}
	cur, err := Evaluate(prof, req, current)
	if err != nil {
		return false, "the current placement cannot stay: " + err.Error()
	}
	if candidate == nil {
		return true, "there is no new plan to compare with"
	}
	if samePlacement(current, candidate) {
		return true, "the new plan places the units as the current one does"
	}
	cand, err := Evaluate(prof, req, candidate)
	if err != nil {
		return true, "the new plan cannot be evaluated: " + err.Error()
	}
	what, vc, vn := "latency", cur.LatencySeconds, cand.LatencySeconds
	if req.Objective == v1alpha1.ObjectiveThroughput {
		what, vc, vn = "busiest stage", cur.BottleneckSeconds, cand.BottleneckSeconds
	}
	if vc <= vn*(1+tolerance)*(1+equalRel) {
		return true, fmt.Sprintf("the current placement's predicted %s %.4g s is within %.3g%% of the new plan's %.4g s",
			what, vc, 100*tolerance, vn)
	}
	return false, fmt.Sprintf("the new plan's predicted %s %.4g s beats the current placement's %.4g s by %.3g%%, more than the %.3g%% tolerance",
		what, vn, vc, 100*(vc/vn-1), 100*tolerance)
}

// samePlacement reports whether two plans put every unit on the same node.
func samePlacement(a, b *Plan) bool {
	if a.Units != b.Units || a.SourceNode != b.SourceNode || len(a.Partitions) != len(b.Partitions) {
		return false
	}
	for i, pa := range a.Partitions {
		pb := b.Partitions[i]
		if pa.Start != pb.Start || pa.End != pb.End || pa.Node != pb.Node {
			return false
		}
	}
	return true
}

// Decision is what Replan decided.
type Decision struct {
	// Plan is the plan to deploy: the new one, or the current placement
	// with its predictions rebuilt on the profile (Kept).
	Plan *Plan
	// Kept is true when the current placement stays.
	Kept bool
	// Reason says why, with the numbers (see KeepCurrent).
	Reason string
}

// Replan is the reconcile's one placement decision: it solves the request
// and applies KeepCurrent, with the request's tolerance, against the
// deployed plan (nil when none is). A kept plan carries the new search's
// Optimum, LowerBound and Expansions, and Optimal false (it is not what
// the search chose). Solve's errors are returned as they are.
func Replan(prof *clusterprofile.ClusterProfile, req Request, current *Plan) (Decision, error) {
	plan, err := Solve(prof, req)
	if err != nil {
		return Decision{}, err
	}
	keep, reason := KeepCurrent(prof, req, current, plan, req.Tolerance)
	if !keep {
		return Decision{Plan: plan, Reason: reason}, nil
	}
	kept, err := Rebuild(prof, req, current)
	if err != nil { // KeepCurrent evaluated it: not expected
		return Decision{Plan: plan, Reason: "the current placement cannot be rebuilt: " + err.Error()}, nil
	}
	kept.Optimum, kept.LowerBound, kept.Expansions = plan.Optimum, plan.LowerBound, plan.Expansions
	return Decision{Plan: kept, Kept: true, Reason: reason}, nil
}
