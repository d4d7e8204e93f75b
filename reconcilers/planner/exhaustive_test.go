package planner

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/profile"
)

// oracle enumerates every assignment of units to nodes, computing costs
// straight from the profile: it shares no code with the solver.
type oracle struct {
	prof     *profile.ClusterProfile
	U, N     int
	src      int
	allowed  [][]bool // [u][n]
	capacity []int64
	in       []int64 // bytes entering unit u; in[U] is the output
	link     [][]profile.Link
	overhead float64 // per hop between different nodes

	minLatency, minPeriod float64
	// periodLimit, when positive, switches to the second pass: the least
	// latency among assignments whose period is within the limit.
	periodLimit, limitedLatency float64
}

func newOracle(prof *profile.ClusterProfile, req Request) *oracle {
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
	o.link = make([][]profile.Link, o.N)
	for m := range o.N {
		o.link[m] = make([]profile.Link, o.N)
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

// randomOverhead sets the hop overhead through each way it can be given:
// an explicit 0 in the request, the default, the profile's value, or a
// request override of the profile's value. Drawn values reach 50 ms, the
// scale of a unit's compute, so that they change plans.
func randomOverhead(rng *rand.Rand, prof *profile.ClusterProfile, req *Request) {
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
	var feasible, infeasible, multiPartition, revisits, largest int
	overheads := map[string]int{} // how many instances drew which overhead
	for i := range instances {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		var opts instanceOptions
		var prof *profile.ClusterProfile
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
	t.Logf("%d feasible and %d infeasible checks; %d plans with several partitions, %d with a node hosting several; %d instances of 6 nodes x 10 units; hop overhead: %v",
		feasible, infeasible, multiPartition, revisits, largest, overheads)
	if feasible < instances || infeasible == 0 || multiPartition < instances/4 {
		t.Errorf("instance mix too weak: %d feasible, %d infeasible, %d multi-partition", feasible, infeasible, multiPartition)
	}
}
