package planner

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// oracle enumerates every assignment of units to nodes, computing costs
// straight from the profile: it shares no code with the solver.
type oracle struct {
	prof     *clusterprofile.ClusterProfile
	U, N     int
	src      int
	allowed  [][]bool // [u][n]
	capacity []int64
	in       []int64 // bytes entering unit u; in[U] is the output
	link     [][]clusterprofile.Link
	overhead float64 // per hop between different nodes

	minLatency, minPeriod float64
	// periodLimit, when positive, switches to the second pass: the least
	// latency among assignments whose period is within the limit.
	periodLimit, limitedLatency float64
	// leaves, when non-nil, collects every assignment's costs and shape.
	collected *[]leaf
}

// leaf is one complete assignment as the enumeration saw it.
type leaf struct {
	latency, period  float64
	partitions, hops int
}

func newOracle(prof *clusterprofile.ClusterProfile, req Request) *oracle {
	o := &oracle{prof: prof, U: len(prof.Model.Units), N: len(prof.Nodes)}
	idx := func(name string) int {
		for i, n := range prof.Nodes {
			if n.ID == name || n.Hostname == name {
				return i
			}
		}
		panic("unknown node " + name)
	}
	o.src = idx(req.SourceNode)
	switch {
	case req.HopOverheadSeconds >= 0:
		o.overhead = req.HopOverheadSeconds
	case prof.HopOverheadSeconds != nil:
		o.overhead = *prof.HopOverheadSeconds
	default:
		o.overhead = 0.0003 // the documented default
	}
	o.allowed = make([][]bool, o.U)
	for u := range o.U {
		o.allowed[u] = make([]bool, o.N)
		for n, node := range prof.Nodes {
			ok := true
			for k, v := range req.NodeSelector {
				ok = ok && node.Labels[k] == v
			}
			for _, p := range req.Pins {
				if u >= p.Start && u < p.End && idx(p.Node) != n {
					ok = false
				}
			}
			for _, a := range req.Avoid {
				for _, name := range a.Nodes {
					if u >= a.Start && u < a.End && idx(name) == n {
						ok = false
					}
				}
			}
			o.allowed[u][n] = ok
		}
	}
	for _, node := range prof.Nodes {
		o.capacity = append(o.capacity, max(0, node.FreeMemoryBytes-req.Headroom.Bytes-node.MemoryBytes*int64(req.Headroom.Percent)/100))
	}
	o.in = append(o.in, prof.Model.InputBytes)
	for u := 0; u+1 < o.U; u++ {
		o.in = append(o.in, prof.Model.Units[u].CutBytes)
	}
	o.in = append(o.in, prof.Model.OutputBytes)
	o.link = make([][]clusterprofile.Link, o.N)
	for m := range o.N {
		o.link[m] = make([]clusterprofile.Link, o.N)
	}
	for _, l := range prof.Links {
		o.link[idx(l.From)][idx(l.To)] = l
	}
	return o
}

// leaves is the number of assignments the constraints allow.
func (o *oracle) leaves() float64 {
	n := 1.0
	for u := range o.U {
		k := 0
		for _, ok := range o.allowed[u] {
			if ok {
				k++
			}
		}
		n *= float64(k)
	}
	return n
}

func (o *oracle) transfer(m, n int, bytes int64) float64 {
	if m == n {
		return 0
	}
	l := o.link[m][n]
	return l.RTTSeconds/2 + float64(bytes)/l.BandwidthBytesPerSecond + o.overhead
}

func (o *oracle) run(periodLimit float64) {
	o.minLatency, o.minPeriod, o.limitedLatency = math.Inf(1), math.Inf(1), math.Inf(1)
	o.periodLimit = periodLimit
	nodeLoad := make([]float64, o.N)
	linkLoad := make([][]float64, o.N)
	for m := range linkLoad {
		linkLoad[m] = make([]float64, o.N)
	}
	used := make([]int64, o.N)
	// hop charges a transfer to its link and the overhead to both ends.
	hop := func(m, n int, t, sign float64) {
		linkLoad[m][n] += sign * t
		nodeLoad[m] += sign * o.overhead
		nodeLoad[n] += sign * o.overhead
	}
	assign := make([]int, o.U)
	var rec func(u, prev int, latency float64)
	rec = func(u, prev int, latency float64) {
		if u == o.U {
			t := o.transfer(prev, o.src, o.in[u])
			latency += t
			if prev != o.src {
				hop(prev, o.src, t, 1)
			}
			// The busiest stage, from scratch: every node and link.
			var period float64
			for m := range o.N {
				period = max(period, nodeLoad[m])
				for n := range o.N {
					period = max(period, linkLoad[m][n])
				}
			}
			if prev != o.src {
				hop(prev, o.src, t, -1)
			}
			o.minLatency = min(o.minLatency, latency)
			o.minPeriod = min(o.minPeriod, period)
			if periodLimit > 0 && period <= periodLimit {
				o.limitedLatency = min(o.limitedLatency, latency)
			}
			if o.collected != nil {
				*o.collected = append(*o.collected, o.shape(assign, latency, period))
			}
			return
		}
		for n := range o.N {
			mem := max(o.prof.Nodes[n].Units[u].MemoryBytes, o.prof.Model.Units[u].WeightBytes)
			if !o.allowed[u][n] || used[n]+mem > o.capacity[n] {
				continue
			}
			c := o.prof.Nodes[n].Units[u].Seconds
			t := o.transfer(prev, n, o.in[u])
			oldNode, oldPrev, oldLink := nodeLoad[n], nodeLoad[prev], linkLoad[prev][n]
			assign[u] = n
			used[n] += mem
			nodeLoad[n] += c
			if prev != n {
				hop(prev, n, t, 1)
			}
			rec(u+1, n, latency+c+t)
			nodeLoad[prev], nodeLoad[n], linkLoad[prev][n] = oldPrev, oldNode, oldLink
			used[n] -= mem
		}
	}
	rec(0, o.src, 0)
}

// shape counts an assignment's partitions (maximal runs) and hops
// (changes of node, from the source and back to it included).
func (o *oracle) shape(assign []int, latency, period float64) leaf {
	l := leaf{latency: latency, period: period, partitions: 1}
	prev := o.src
	for u, n := range assign {
		if u > 0 && n != assign[u-1] {
			l.partitions++
		}
		if n != prev {
			l.hops++
		}
		prev = n
	}
	if prev != o.src {
		l.hops++
	}
	return l
}

// simplest applies the tolerance rule to the enumerated leaves, written
// straight from docs/planner.md: among leaves whose objective is within
// optimum·(1+tol), the fewest partitions, then the fewest hops, then the
// best objective, then (throughput) the least latency among those as fast.
func simplest(leaves []leaf, obj v1alpha1.Objective, tol float64) (leaf, bool) {
	value := func(l leaf) float64 {
		if obj == v1alpha1.ObjectiveThroughput {
			return l.period
		}
		return l.latency
	}
	opt := math.Inf(1)
	for _, l := range leaves {
		opt = min(opt, value(l))
	}
	var within []leaf
	for _, l := range leaves {
		if value(l) <= opt*(1+tol)*(1+1e-9) {
			within = append(within, l)
		}
	}
	if len(within) == 0 {
		return leaf{}, false
	}
	best := within[0]
	for _, l := range within[1:] {
		switch {
		case l.partitions != best.partitions:
			if l.partitions < best.partitions {
				best = l
			}
		case l.hops != best.hops:
			if l.hops < best.hops {
				best = l
			}
		case value(l) < value(best):
			best = l
		}
	}
	if obj == v1alpha1.ObjectiveThroughput {
		fast := best.period * (1 + 1e-9)
		for _, l := range within {
			if l.partitions == best.partitions && l.hops == best.hops && l.period <= fast && l.latency < best.latency {
				best.latency = l.latency
			}
		}
	}
	return best, true
}

// randomOverhead sets the hop overhead through each way it can be given:
// an explicit 0 in the request, the default, the profile's value, or a
// request override of the profile's value. Drawn values reach 50 ms, the
// scale of a unit's compute, so that they change plans.
func randomOverhead(rng *rand.Rand, prof *clusterprofile.ClusterProfile, req *Request) {
	draw := func() float64 { return []float64{0.0005, 0.005, 0.05}[rng.IntN(3)] * rng.Float64() }
	req.HopOverheadSeconds = UseProfileHopOverhead
	switch rng.IntN(5) {
	case 0:
		req.HopOverheadSeconds = 0
	case 1: // the default
	case 2:
		v := draw()
		prof.HopOverheadSeconds = &v
	case 3:
		v := draw()
		prof.HopOverheadSeconds = &v
		req.HopOverheadSeconds = draw()
	case 4:
		req.HopOverheadSeconds = draw()
	}
}

func close9(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// checkPlan verifies a plan's feasibility independently of the solver.
func checkPlan(t *testing.T, o *oracle, plan *Plan) {
	t.Helper()
	next := 0
	used := make([]int64, o.N)
	for _, part := range plan.Partitions {
		if part.Start != next || part.End <= part.Start {
			t.Fatalf("partition %d covers [%d,%d), expected to start at %d", part.Index, part.Start, part.End, next)
		}
		n := -1
		for i, node := range o.prof.Nodes {
			if node.ID == part.Node {
				n = i
			}
		}
		for u := part.Start; u < part.End; u++ {
			if !o.allowed[u][n] {
				t.Fatalf("unit %d placed on forbidden node %s", u, part.Node)
			}
			used[n] += max(o.prof.Nodes[n].Units[u].MemoryBytes, o.prof.Model.Units[u].WeightBytes)
		}
		next = part.End
	}
	if next != o.U {
		t.Fatalf("partitions end at unit %d of %d: the last block was dropped", next, o.U)
	}
	for n := range o.N {
		if used[n] > o.capacity[n] {
			t.Fatalf("node %d holds %d bytes, capacity %d", n, used[n], o.capacity[n])
		}
	}
}

// TestExhaustive checks the solver against enumeration of every assignment
// on 1000 random instances (up to 6 nodes x 10 units), for both objectives,
// with and without memory limits and constraints.
func TestExhaustive(t *testing.T) {
	const instances = 1000
	// Instances whose constraints leave more assignments are redrawn: it
	// keeps the enumeration to a few seconds.
	const maxLeaves = 1_000_000
	var feasible, infeasible, multiPartition, revisits, largest, bounded int
	overheads := map[string]int{} // how many instances drew which overhead
	for i := range instances {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		var opts instanceOptions
		var prof *clusterprofile.ClusterProfile
		var req Request
		var o *oracle
		for {
			opts = instanceOptions{nodes: 1 + rng.IntN(6), units: 1 + rng.IntN(10),
				memoryTight: i%2 == 1, constrained: i%4 >= 2}
			prof, req = randomInstance(rng, opts)
			randomOverhead(rng, prof, &req)
			o = newOracle(prof, req)
			if o.leaves() <= maxLeaves {
				break
			}
		}
		if opts.nodes == 6 && opts.units == 10 {
			largest++
		}
		switch {
		case o.overhead == 0:
			overheads["zero"]++
		case o.overhead == 0.0003:
			overheads["default"]++
		default:
			overheads["drawn"]++
		}
		o.run(0)
		o.run(o.minPeriod * (1 + 1e-9))
		for _, obj := range v1alpha1.Objectives() {
			req.Objective = obj
			plan, err := Solve(prof, req)
			if math.IsInf(o.minLatency, 1) {
				if !errors.Is(err, ErrInfeasible) {
					t.Fatalf("instance %d (%+v) %s: no placement exists, Solve returned %v", i, opts, obj, err)
				}
				infeasible++
				continue
			}
			if err != nil {
				t.Fatalf("instance %d (%+v) %s: %v", i, opts, obj, err)
			}
			if !plan.Optimal {
				t.Fatalf("instance %d %s: plan not proven optimal", i, obj)
			}
			checkPlan(t, o, plan)
			switch obj {
			case v1alpha1.ObjectiveLatency:
				if !close9(plan.Totals.LatencySeconds, o.minLatency) {
					t.Fatalf("instance %d (%+v) latency: planner %.12g, exhaustive %.12g", i, opts, plan.Totals.LatencySeconds, o.minLatency)
				}
			case v1alpha1.ObjectiveThroughput:
				if !close9(plan.Totals.BottleneckSeconds, o.minPeriod) {
					t.Fatalf("instance %d (%+v) throughput: planner bottleneck %.12g, exhaustive %.12g", i, opts, plan.Totals.BottleneckSeconds, o.minPeriod)
				}
				if !close9(plan.Totals.LatencySeconds, o.limitedLatency) {
					t.Fatalf("instance %d (%+v) throughput tie-break: planner latency %.12g, exhaustive %.12g", i, opts, plan.Totals.LatencySeconds, o.limitedLatency)
				}
			}
			if checkLowerBound(t, i, prof, req, o) {
				bounded++
			}
			feasible++
			if len(plan.Partitions) > 1 {
				multiPartition++
			}
			for _, nu := range plan.Nodes {
				if nu.Partitions > 1 {
					revisits++
					break
				}
			}
		}
	}
	t.Logf("%d feasible (lower bound checked on %d) and %d infeasible checks; %d plans with several partitions, %d with a node hosting several; %d instances of 6 nodes x 10 units; hop overhead: %v",
		feasible, bounded, infeasible, multiPartition, revisits, largest, overheads)
	if feasible < instances || infeasible == 0 || multiPartition < instances/4 {
		t.Errorf("instance mix too weak: %d feasible, %d infeasible, %d multi-partition", feasible, infeasible, multiPartition)
	}
	// One expansion finds a placement on most feasible instances; a bound
	// check that never runs must not pass.
	if bounded < feasible/2 {
		t.Errorf("the lower bound was checked on %d of %d feasible instances", bounded, feasible)
	}
}

// checkLowerBound solves again with a budget of one expansion, so that
// the search stops at its root: the plan it returns must be no better
// than the optimum and its lower bound no higher. It returns false when
// one expansion found no placement (nothing to check).
func checkLowerBound(t *testing.T, i int, prof *clusterprofile.ClusterProfile, req Request, o *oracle) bool {
	t.Helper()
	req.MaxExpansions = 1
	plan, err := Solve(prof, req)
	if err != nil {
		if !errors.Is(err, ErrInfeasible) {
			t.Fatalf("instance %d %s, one expansion: %v", i, req.Objective, err)
		}
		return false
	}
	opt, value := o.minLatency, plan.Totals.LatencySeconds
	if req.Objective == v1alpha1.ObjectiveThroughput {
		opt, value = o.minPeriod, plan.Totals.BottleneckSeconds
	}
	if plan.LowerBound > opt && !close9(plan.LowerBound, opt) {
		t.Fatalf("instance %d %s, one expansion: lower bound %.12g above the optimum %.12g", i, req.Objective, plan.LowerBound, opt)
	}
	if value < opt && !close9(value, opt) {
		t.Fatalf("instance %d %s, one expansion: plan %.12g below the optimum %.12g", i, req.Objective, value, opt)
	}
	if req.Objective == v1alpha1.ObjectiveThroughput {
		// The limited stage bound on its own, bisecting up to well above
		// the optimum.
		p, err := newProblem(prof, &req)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := p.limitedStageBound(0, 2*opt, nil); b > opt && !close9(b, opt) {
			t.Fatalf("instance %d: limited stage bound %.12g above the optimum %.12g", i, b, opt)
		}
	}
	return true
}

// TestExhaustiveTolerance checks the simplest plan within a tolerance
// against the rule applied to every enumerated assignment, on random
// instances (up to 6 nodes x 9 units), both objectives, tolerances from 0
// to 50%.
func TestExhaustiveTolerance(t *testing.T) {
	const instances = 500
	const maxLeaves = 200_000
	var checks, simpler, single int
	for i := range instances {
		rng := rand.New(rand.NewPCG(uint64(i), 1212))
		var opts instanceOptions
		var prof *clusterprofile.ClusterProfile
		var req Request
		var o *oracle
		for {
			opts = instanceOptions{nodes: 1 + rng.IntN(6), units: 1 + rng.IntN(9),
				memoryTight: i%2 == 1, constrained: i%4 >= 2}
			prof, req = randomInstance(rng, opts)
			randomOverhead(rng, prof, &req)
			o = newOracle(prof, req)
			if o.leaves() <= maxLeaves {
				break
			}
		}
		var leaves []leaf
		o.collected = &leaves
		o.run(0)
		req.Tolerance = []float64{0.01, 0.05, 0.05, 0.2, 0.5}[rng.IntN(5)]
		for _, obj := range v1alpha1.Objectives() {
			req.Objective = obj
			want, ok := simplest(leaves, obj, req.Tolerance)
			plan, err := Solve(prof, req)
			if !ok {
				if !errors.Is(err, ErrInfeasible) {
					t.Fatalf("instance %d %s: no placement exists, Solve returned %v", i, obj, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("instance %d (%+v) %s: %v", i, opts, obj, err)
			}
			if !plan.Optimal {
				t.Fatalf("instance %d %s: plan not proven", i, obj)
			}
			checkPlan(t, o, plan)
			hops := planHops(plan)
			if len(plan.Partitions) != want.partitions || hops != want.hops {
				t.Fatalf("instance %d (%+v) %s tol %v: %d partitions and %d hops, exhaustive %d and %d",
					i, opts, obj, req.Tolerance, len(plan.Partitions), hops, want.partitions, want.hops)
			}
			if !close9(plan.Totals.LatencySeconds, want.latency) || !close9(plan.Totals.BottleneckSeconds, want.period) && obj == v1alpha1.ObjectiveThroughput {
				t.Fatalf("instance %d (%+v) %s tol %v: latency %.12g period %.12g, exhaustive %.12g and %.12g",
					i, opts, obj, req.Tolerance, plan.Totals.LatencySeconds, plan.Totals.BottleneckSeconds, want.latency, want.period)
			}
			opt := o.minLatency
			if obj == v1alpha1.ObjectiveThroughput {
				opt = o.minPeriod
			}
			if !close9(plan.Optimum, opt) {
				t.Fatalf("instance %d %s: optimum %.12g, exhaustive %.12g", i, obj, plan.Optimum, opt)
			}
			checks++
			full, err := Solve(prof, Request{Objective: obj, SourceNode: req.SourceNode, Pins: req.Pins, Avoid: req.Avoid,
				NodeSelector: req.NodeSelector, Headroom: req.Headroom, HopOverheadSeconds: req.HopOverheadSeconds, InputBytes: req.InputBytes})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Partitions) < len(full.Partitions) {
				simpler++
			}
			if len(plan.Partitions) == 1 && len(full.Partitions) > 1 {
				single++
			}
		}
	}
	t.Logf("%d checks; %d plans simpler than the optimum, %d of them on one node", checks, simpler, single)
	if checks < instances || simpler < instances/10 || single == 0 {
		t.Errorf("instance mix too weak: %d checks, %d simpler, %d single", checks, simpler, single)
	}
}

// planHops counts the transfers between different nodes in a plan.
func planHops(plan *Plan) int {
	h := 0
	for _, part := range plan.Partitions {
		if part.In.From != part.In.To {
			h++
		}
	}
	if plan.Return.From != plan.Return.To {
		h++
	}
	return h
}
