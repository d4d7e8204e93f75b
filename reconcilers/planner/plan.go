package planner

import (
	"fmt"
	"math"
	"slices"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// Solve plans the placement of the profiled model for the request. It
// returns an *InfeasibleError (errors.Is ErrInfeasible) naming the binding
// constraint when no placement exists.
func Solve(prof *clusterprofile.ClusterProfile, req Request) (*Plan, error) {
	obj := req.Objective
	if obj == "" {
		obj = v1alpha1.ObjectiveLatency
	}
	if obj != v1alpha1.ObjectiveLatency && obj != v1alpha1.ObjectiveThroughput {
		return nil, fmt.Errorf("unsupported objective %q (latency or throughput)", obj)
	}
	tol := req.Tolerance
	if math.IsNaN(tol) || tol < 0 || tol > 1 {
		return nil, fmt.Errorf("invalid tolerance %v: want a fraction between 0 and 1", tol)
	}
	p, err := newProblem(prof, &req)
	if err != nil {
		return nil, err
	}
	budget := req.MaxExpansions
	if budget <= 0 {
		budget = DefaultMaxExpansions
	}
	var assign []int
	var optimal bool
	var lower float64
	var expansions int
	if obj == v1alpha1.ObjectiveLatency {
		s := newSearch(p, false, math.Inf(1), budget)
		s.solve(nil, 0, 0)
		assign, optimal, lower, expansions = s.bestAssign, !s.aborted, s.root, s.expansions
	} else {
		s1 := newSearch(p, true, math.Inf(1), budget)
		inc, period, latency := p.throughputStart(s1, budget, newMoveAllowance(budget))
		s1.solve(inc, period, latency)
		assign, optimal, lower, expansions = s1.bestAssign, !s1.aborted, s1.root, s1.expansions
		if assign != nil {
			// Among placements as fast as the best, take the lowest latency
			// (a tenth of the budget when the best is not proven: the
			// tie-break cannot be proven either).
			b2 := budget
			if s1.aborted {
				b2 = max(budget/10, 1)
			}
			s2 := newSearch(p, false, s1.best*(1+equalRel), b2)
			s2.solve(s1.bestAssign, s1.bestLat, s1.bestLat)
			assign, expansions = s2.bestAssign, expansions+s2.expansions
			optimal = optimal && !s2.aborted
		}
		if optimal {
			lower = s1.best
		}
	}
	if assign == nil {
		d := p.diagnose(prof)
		if !optimal && d.Constraint == "memory-packing" {
			return nil, &InfeasibleError{Constraint: "budget", Message: fmt.Sprintf(
				"the search expanded %d states without finding a placement that fits memory; "+
					"relax constraints or raise the budget", budget)}
		}
		return nil, d
	}
	optLatency, optPeriod, _ := p.score(assign)
	optimum := optLatency
	if obj == v1alpha1.ObjectiveThroughput {
		optimum = optPeriod
	}
	if optimal {
		lower = optimum
	}
	if tol > 0 {
		// When the optimum is not proven, neither can the simplest plan
		// within a tolerance of it be: a tenth of the budget improves it.
		sb := budget
		if !optimal {
			sb = max(budget/10, 1)
		}
		simple, exact, n := p.simplest(obj, assign, tol, sb)
		assign, optimal, expansions = simple, optimal && exact, expansions+n
	}
	plan := p.buildPlan(prof, obj, assign)
	plan.Optimal, plan.Expansions = optimal, expansions
	plan.LowerBound, plan.Tolerance, plan.Optimum = lower, tol, optimum
	return plan, nil
}

// improveMoves bounds the moves local search evaluates per starting
// placement of the throughput incumbent.
const improveMoves = 300_000

// incumbentSeeds is the most starting placements throughputStart
// improves: the latency optimum, two chains, the stage bound's placement,
// the period scan's packings and one placement per limited stage bound
// check.
const incumbentSeeds = 4 + periodPlacements + limitSteps

// throughputStart raises the throughput search's root bound with the
// stage-weight bounds and returns its incumbent: the best (valueFirst:
// busiest stage, then latency, then complexity) of the latency-optimal
// placement, one-run-per-node
// chains over the nodes in speed order (with and without the source
// first), the period scan's packings and the stage bounds' minimising
// placements, each improved by local search, then the iterated local
// search from the best, the local search spending from moves; nil if none
// fits.
func (p *problem) throughputStart(s1 *search, budget int, moves *moveAllowance) ([]int, float64, float64) {
	stageLower, stagePath, stageWeights := p.stageBound(s1.weights, math.Inf(1), stageIterations)
	s1.root = max(s1.root, stageLower)
	s := newSearch(p, false, math.Inf(1), budget)
	s.solve(nil, 0, 0)
	order := p.speedOrder()
	srcFirst := append([]int{p.src}, slices.DeleteFunc(slices.Clone(order), func(n int) bool { return n == p.src })...)
	var best []int
	bestRank := unranked()
	consider := func(seeds [][]int) {
		for _, a := range seeds {
			if a == nil {
				continue
			}
			a, r, n := p.improve(a, moves.grant(improveMoves))
			moves.spend(n)
			if valueFirst.better(r, bestRank) {
				best, bestRank = a, r
			}
		}
	}
	consider(append([][]int{s.bestAssign, p.chain(order), p.chain(srcFirst), stagePath}, p.periodSearch(s1.root)...))
	if stageLower >= s1.root && !math.IsInf(bestRank.value, 1) && below(s1.root, bestRank.value) {
		// The stage bound binds: try to raise it by excluding what
		// cannot be part of a placement better than the incumbent.
		var paths [][]int
		s1.root, paths = p.limitedStageBound(s1.root, bestRank.value, stageWeights)
		consider(paths)
	}
	if best != nil {
		best, bestRank = p.perturb(best, moves)
	}
	return best, bestRank.value, bestRank.latency
}

// evaluate computes the performance of an assignment from scratch, and
// the hops each node sends or receives.
func (p *problem) evaluate(prof *clusterprofile.ClusterProfile, assign []int) (Totals, []int) {
	N := p.N
	nodeLoad, linkLoad := make([]float64, N), make([]float64, N*N)
	hops := make([]int, N)
	var t Totals
	prev := p.src
	for u := 0; u <= p.U; u++ {
		n := p.src
		if u < p.U {
			n = assign[u]
		}
		if n != prev {
			h := p.hop(u, prev, n)
			t.TransferSeconds += h
			linkLoad[prev*N+n] += h
			hops[prev]++
			hops[n]++
		}
		if u < p.U {
			c := prof.Nodes[n].Units[u].Seconds
			t.ComputeSeconds += c
			nodeLoad[n] += c
		}
		prev = n
	}
	t.LatencySeconds = t.ComputeSeconds + t.TransferSeconds
	for n := range N {
		nodeLoad[n] += float64(hops[n]) * p.overhead
		if nodeLoad[n] > t.BottleneckSeconds || t.Bottleneck == "" {
			t.BottleneckSeconds, t.Bottleneck = nodeLoad[n], "node "+prof.Nodes[n].Hostname
		}
	}
	for m := range N {
		for n := range N {
			if linkLoad[m*N+n] > t.BottleneckSeconds {
				t.BottleneckSeconds = linkLoad[m*N+n]
				t.Bottleneck = "link " + prof.Nodes[m].Hostname + "->" + prof.Nodes[n].Hostname
			}
		}
	}
	if t.BottleneckSeconds > 0 { // 0 stands for unbounded, which JSON cannot hold

		t.Throughput = 1 / t.BottleneckSeconds
	}
	return t, hops
}

func (p *problem) buildPlan(prof *clusterprofile.ClusterProfile, obj v1alpha1.Objective, assign []int) *Plan {
	N := p.N
	node := func(n int) (string, string) { return prof.Nodes[n].ID, prof.Nodes[n].Hostname }
	transfer := func(u, from, to int) Transfer {
		t := Transfer{From: prof.Nodes[from].ID, To: prof.Nodes[to].ID, Bytes: p.bytes[u]}
		if from != to {
			t.Seconds = p.hop(u, from, to)
		}
		return t
	}
	plan := &Plan{APIVersion: PlanAPIVersion, Kind: PlanKind, Model: prof.Model.Name, Objective: obj,
		SourceNode: prof.Nodes[p.src].ID, InputBytes: p.bytes[0], OutputBytes: p.bytes[p.U], Units: p.U,
		HopOverheadSeconds: p.overhead}
	usage := make([]NodeUsage, N)
	prev := p.src
	for start := 0; start < p.U; {
		n := assign[start]
		end := start
		part := Partition{Index: len(plan.Partitions), Start: start, AvailableBytes: p.capacity[n],
			FirstUnit: prof.Model.Units[start].Name, In: transfer(start, prev, n)}
		part.Node, part.Hostname = node(n)
		for end < p.U && assign[end] == n {
			part.MemoryBytes += p.mem[end*N+n]
			part.ComputeSeconds += prof.Nodes[n].Units[end].Seconds
			end++
		}
		part.End, part.LastUnit = end, prof.Model.Units[end-1].Name
		plan.Partitions = append(plan.Partitions, part)
		usage[n].Partitions++
		usage[n].MemoryBytes += part.MemoryBytes
		usage[n].ComputeSeconds += part.ComputeSeconds
		prev, start = n, end
	}
	plan.Return = transfer(p.U, prev, p.src)
	var hops []int
	plan.Totals, hops = p.evaluate(prof, assign)
	for n := range N {
		if usage[n].Partitions > 0 {
			usage[n].Hops, usage[n].HopSeconds = hops[n], float64(hops[n])*p.overhead
			usage[n].Node, usage[n].Hostname = node(n)
			usage[n].AvailableBytes = p.capacity[n]
			plan.Nodes = append(plan.Nodes, usage[n])
		}
	}
	plan.Baselines = p.baselines(prof, plan.Totals, obj)
	return plan
}

// baselines evaluates every single-node placement; the best is chosen by
// the objective among nodes that fit the whole model, ignoring constraints.
func (p *problem) baselines(prof *clusterprofile.ClusterProfile, plan Totals, obj v1alpha1.Objective) Baselines {
	// single evaluates everything on n, and ranks it (valueFirst) by
	// the totals, since p.rank would refuse a node the constraints forbid.
	single := func(n int) (Baseline, placementRank) {
		assign := make([]int, p.U)
		var mem int64
		for u := range assign {
			assign[u] = n
			mem += p.mem[u*p.N+n]
		}
		b := Baseline{Node: prof.Nodes[n].ID, Hostname: prof.Nodes[n].Hostname, FitsMemory: mem <= p.capacity[n]}
		b.Totals, _ = p.evaluate(prof, assign)
		b.LatencySpeedup = ratio(b.Totals.LatencySeconds, plan.LatencySeconds)
		b.ThroughputSpeedup = ratio(b.Totals.BottleneckSeconds, plan.BottleneckSeconds)
		r := placementRank{value: b.Totals.LatencySeconds, latency: b.Totals.LatencySeconds, complexity: p.complexity(assign)}
		if obj == v1alpha1.ObjectiveThroughput {
			r.value = b.Totals.BottleneckSeconds
		}
		return b, r
	}
	var out Baselines
	out.Source, _ = single(p.src)
	var bestRank placementRank
	for n := range p.N {
		b, r := single(n)
		if !b.FitsMemory {
			continue
		}
		if out.BestSingleNode == nil || valueFirst.better(r, bestRank) {
			out.BestSingleNode, bestRank = &b, r
		}
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0 // undefined; JSON cannot hold +Inf
	}
	return a / b
}
