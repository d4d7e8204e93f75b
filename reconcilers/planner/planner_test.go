package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// tinyProfile: source a, worker b; unit 1 is slow on a. The cut after unit
// 0 carries more than unit 0's output (a residual), the links are
// asymmetric, so charging the wrong bytes or the wrong link changes totals.
func tinyProfile() *clusterprofile.ClusterProfile {
	p := &clusterprofile.ClusterProfile{APIVersion: clusterprofile.APIVersion, Kind: clusterprofile.Kind, Units: clusterprofile.StandardUnits()}
	p.Model = clusterprofile.Model{Name: "tiny", InputBytes: 100, OutputBytes: 40, Units: []clusterprofile.Unit{
		{Name: "u0", WeightBytes: 10, OutputBytes: 50, CutBytes: 200},
		{Name: "u1", WeightBytes: 10, OutputBytes: 300, CutBytes: 300},
		{Name: "u2", WeightBytes: 10, OutputBytes: 40, CutBytes: 40},
	}}
	meas := func(s ...float64) []clusterprofile.UnitMeasurement {
		var out []clusterprofile.UnitMeasurement
		for _, x := range s {
			out = append(out, clusterprofile.UnitMeasurement{Seconds: x, MemoryBytes: 1 << 20})
		}
		return out
	}
	p.Nodes = []clusterprofile.Node{
		{ID: "a", Hostname: "vma", CPUs: 1, MemoryBytes: 1 << 30, FreeMemoryBytes: 1 << 30, Units: meas(1, 10, 1)},
		{ID: "b", Hostname: "vmb", CPUs: 1, MemoryBytes: 1 << 30, FreeMemoryBytes: 1 << 30, Units: meas(1, 1, 1)},
	}
	p.Links = []clusterprofile.Link{
		{From: "a", To: "b", RTTSeconds: 0.2, BandwidthBytesPerSecond: 100},
		{From: "b", To: "a", RTTSeconds: 0.4, BandwidthBytesPerSecond: 1000},
	}
	return p
}

type span struct {
	start, end int
	node       string
}

func spans(plan *Plan) []span {
	var out []span
	for _, p := range plan.Partitions {
		out = append(out, span{p.Start, p.End, p.Node})
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCostModel(t *testing.T) {
	tests := []struct {
		name       string
		req        Request
		want       []span
		latency    float64
		bottleneck float64
		hops       []Transfer // In of every partition, then Return
	}{
		{
			// Everything on b: input on the first hop (0.1 + 100/100),
			// output on the return hop (0.2 + 40/1000).
			name: "latency", req: Request{SourceNode: "vma"},
			want: []span{{0, 3, "b"}}, latency: 1.1 + 3 + 0.24, bottleneck: 3,
			hops: []Transfer{{"a", "b", 100, 1.1}, {"b", "a", 40, 0.24}},
		},
		{
			// B,B,A: busiest stage is b's compute (2), not a's (1) nor
			// the links (1.1 and 0.2 + 300/1000).
			name: "throughput", req: Request{SourceNode: "vma", Objective: v1alpha1.ObjectiveThroughput},
			want: []span{{0, 2, "b"}, {2, 3, "a"}}, latency: 1.1 + 2 + 0.5 + 1, bottleneck: 2,
			hops: []Transfer{{"a", "b", 100, 1.1}, {"b", "a", 300, 0.5}, {"a", "a", 40, 0}},
		},
		{
			// a hosts two partitions; the 200-byte cut goes a->b
			// (0.1 + 2), the 300-byte cut b->a (0.2 + 0.3).
			name: "pinned around", req: Request{SourceNode: "a", Pins: []Pin{{Start: 0, End: 1, Node: "a"}, {Start: 2, End: 3, Node: "vma"}}},
			want: []span{{0, 1, "a"}, {1, 2, "b"}, {2, 3, "a"}}, latency: 1 + 2.1 + 1 + 0.5 + 1, bottleneck: 2.1,
			hops: []Transfer{{"a", "a", 100, 0}, {"a", "b", 200, 2.1}, {"b", "a", 300, 0.5}, {"a", "a", 40, 0}},
		},
		{
			// 1000 input bytes make the first hop to b cost 10.1: unit 0
			// stays on a and only the 200-byte cut goes to b.
			name: "input size overrides", req: Request{SourceNode: "a", InputBytes: 1000},
			want: []span{{0, 1, "a"}, {1, 3, "b"}}, latency: 1 + 2.1 + 2 + 0.24, bottleneck: 2.1,
			hops: []Transfer{{"a", "a", 1000, 0}, {"a", "b", 200, 2.1}, {"b", "a", 40, 0.24}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Solve(tinyProfile(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(plan); !equalSpans(got, tt.want) {
				t.Errorf("partitions %v, want %v", got, tt.want)
			}
			if !near(plan.Totals.LatencySeconds, tt.latency) || !near(plan.Totals.BottleneckSeconds, tt.bottleneck) {
				t.Errorf("latency %v bottleneck %v, want %v and %v", plan.Totals.LatencySeconds, plan.Totals.BottleneckSeconds, tt.latency, tt.bottleneck)
			}
			var hops []Transfer
			for _, p := range plan.Partitions {
				hops = append(hops, p.In)
			}
			hops = append(hops, plan.Return)
			for i := range tt.hops {
				if i >= len(hops) || hops[i].From != tt.hops[i].From || hops[i].To != tt.hops[i].To ||
					hops[i].Bytes != tt.hops[i].Bytes || !near(hops[i].Seconds, tt.hops[i].Seconds) {
					t.Errorf("hops %+v, want %+v", hops, tt.hops)
					break
				}
			}
			if !plan.Optimal || plan.Partitions[len(plan.Partitions)-1].End != 3 {
				t.Errorf("optimal=%v, last partition ends at %d", plan.Optimal, plan.Partitions[len(plan.Partitions)-1].End)
			}
		})
	}
}

func equalSpans(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBaselines(t *testing.T) {
	plan, err := Solve(tinyProfile(), Request{SourceNode: "a"})
	if err != nil {
		t.Fatal(err)
	}
	src, best := plan.Baselines.Source, plan.Baselines.BestSingleNode
	if src.Node != "a" || !near(src.Totals.LatencySeconds, 12) || !near(src.LatencySpeedup, 12/4.34) {
		t.Errorf("source baseline %+v", src)
	}
	if best == nil || best.Node != "b" || !near(best.LatencySpeedup, 1) {
		t.Errorf("best single node %+v: everything on b is the plan itself", best)
	}
}

func TestInfeasible(t *testing.T) {
	mib := int64(1 << 20)
	tests := []struct {
		name       string
		edit       func(*clusterprofile.ClusterProfile, *Request)
		constraint string
		want       string
	}{
		{"unit too big", func(p *clusterprofile.ClusterProfile, r *Request) {
			p.Model.Units[1].Name = "conv5_3"
			p.Nodes[0].Hostname, p.Nodes[1].Hostname = "vm3", "vm4"
			p.Nodes[0].FreeMemoryBytes, p.Nodes[1].FreeMemoryBytes = 64*mib, 96*mib
			p.Nodes[0].Units[1].MemoryBytes, p.Nodes[1].Units[1].MemoryBytes = 102*mib, 102*mib
		}, "unit-memory", `unit "conv5_3" needs 102.0 MiB, the most any allowed node offers is 96.0 MiB on "vm4"`},
		{"pin against avoid", func(p *clusterprofile.ClusterProfile, r *Request) {
			r.Pins = []Pin{{Start: 1, End: 2, Node: "b", Origin: "pins[0]"}}
			r.Avoid = []Avoid{{Start: 0, End: 3, Nodes: []string{"vmb"}, Origin: "avoid[0]"}}
		}, "constraints", `unit "u1" is pinned to vmb by pins[0], but avoid[0] excludes vmb`},
		{"selector matches nothing", func(p *clusterprofile.ClusterProfile, r *Request) {
			r.NodeSelector = map[string]string{"gpu": "yes"}
		}, "constraints", `unit "u0" has no allowed node`},
		{"pinned units overflow", func(p *clusterprofile.ClusterProfile, r *Request) {
			p.Nodes[0].FreeMemoryBytes = 3 * mib / 2
			r.Pins = []Pin{{Start: 0, End: 3, Node: "a"}}
		}, "pinned-memory", `the 3 units pinned to "vma" (u0 … u2) need 3.0 MiB together, "vma" offers 1.5 MiB`},
		{"total memory", func(p *clusterprofile.ClusterProfile, r *Request) {
			p.Nodes[0].FreeMemoryBytes, p.Nodes[1].FreeMemoryBytes = mib, mib
		}, "total-memory", "the model needs at least 3.0 MiB in total, the allowed nodes offer 2.0 MiB together"},
		{"packing", func(p *clusterprofile.ClusterProfile, r *Request) {
			p.Nodes[0].FreeMemoryBytes, p.Nodes[1].FreeMemoryBytes = 3*mib, 3*mib
			p.Nodes[0].Units[0].MemoryBytes = 2 * mib
			p.Nodes[0].Units[1].MemoryBytes = 2 * mib
			p.Nodes[0].Units[2].MemoryBytes = 2 * mib
			p.Nodes[1].Units[0].MemoryBytes = 2 * mib
			p.Nodes[1].Units[1].MemoryBytes = 2 * mib
			p.Nodes[1].Units[2].MemoryBytes = 2 * mib
		}, "memory-packing", "no assignment of units to nodes fits every node's memory at once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obj := range v1alpha1.Objectives() {
				prof := tinyProfile()
				req := Request{SourceNode: "a", Objective: obj}
				tt.edit(prof, &req)
				_, err := Solve(prof, req)
				var ie *InfeasibleError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInfeasible) {
					t.Fatalf("%s: want an InfeasibleError, got %v", obj, err)
				}
				if ie.Constraint != tt.constraint || !strings.Contains(ie.Message, tt.want) {
					t.Errorf("%s: got [%s] %s\nwant [%s] …%s…", obj, ie.Constraint, ie.Message, tt.constraint, tt.want)
				}
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"unknown source", Request{SourceNode: "zz"}, `source node "zz" is not in the profile`},
		{"pin out of range", Request{SourceNode: "a", Pins: []Pin{{Start: 2, End: 9, Node: "a"}}}, "not within [0,3)"},
		{"unknown avoid node", Request{SourceNode: "a", Avoid: []Avoid{{Start: 0, End: 1, Nodes: []string{"q"}}}}, `node "q"`},
		{"objective", Request{SourceNode: "a", Objective: "speed"}, "unsupported objective"},
		{"two pins", Request{SourceNode: "a", Pins: []Pin{{Start: 0, End: 2, Node: "a"}, {Start: 1, End: 3, Node: "b"}}}, `unit "u1" is pinned to vma`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Solve(tinyProfile(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want …%s…", err, tt.want)
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	plan, err := Solve(tinyProfile(), Request{SourceNode: "a", Objective: v1alpha1.ObjectiveThroughput})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"kind":"PlacementPlan"`, `"partitions":[{"index":0,"start":0,"end":2`, `"node":"b"`,
		`"computeSeconds":`, `"memoryBytes":`, `"totals":{`, `"latencySpeedup":`, `"optimal":true`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("plan JSON lacks %s:\n%s", key, data)
		}
	}
}

// TestHopOverheadStopsAlternation checks that charging the hop overhead
// to both endpoints keeps plans from alternating between nodes to balance
// load: on identical nodes with cheap links a throughput plan uses about
// one partition per node, not one per unit, and a latency plan no hop.
func TestHopOverheadStopsAlternation(t *testing.T) {
	const nodes, units = 4, 40
	tests := []struct {
		name          string
		objective     v1alpha1.Objective
		overhead      float64
		profile       *float64 // the profile's hopOverheadSeconds
		maxPartitions int
	}{
		{"throughput, default overhead", v1alpha1.ObjectiveThroughput, UseProfileHopOverhead, nil, 2 * nodes},
		{"throughput, profile's overhead", v1alpha1.ObjectiveThroughput, UseProfileHopOverhead, ptr(0.001), 2 * nodes},
		{"throughput, request's overhead", v1alpha1.ObjectiveThroughput, 0.001, ptr(0.0), 2 * nodes},
		{"latency, default overhead", v1alpha1.ObjectiveLatency, UseProfileHopOverhead, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof := identicalNodes(3, nodes, units)
			prof.HopOverheadSeconds = tt.profile
			plan, err := Solve(prof, Request{SourceNode: "vm0", Objective: tt.objective, HopOverheadSeconds: tt.overhead})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.overhead
			if want < 0 {
				want = prof.HopOverhead()
			}
			if plan.HopOverheadSeconds != want {
				t.Errorf("plan made with overhead %v, want %v", plan.HopOverheadSeconds, want)
			}
			if len(plan.Partitions) > tt.maxPartitions {
				t.Errorf("%d partitions for %d units on %d nodes, want at most %d: %v",
					len(plan.Partitions), units, nodes, tt.maxPartitions, spans(plan))
			}
			var stage float64
			for _, nu := range plan.Nodes {
				stage = max(stage, nu.ComputeSeconds+nu.HopSeconds)
				if !near(nu.HopSeconds, float64(nu.Hops)*want) {
					t.Errorf("node %s: %d hops cost %v, want %v", nu.Hostname, nu.Hops, nu.HopSeconds, float64(nu.Hops)*want)
				}
			}
			if stage > plan.Totals.BottleneckSeconds*(1+1e-12) {
				t.Errorf("a node's compute + hop overhead %v exceeds the bottleneck %v", stage, plan.Totals.BottleneckSeconds)
			}
			t.Logf("%d partitions, bottleneck %.5f s (%s), optimal %v, %d expansions",
				len(plan.Partitions), plan.Totals.BottleneckSeconds, plan.Totals.Bottleneck, plan.Optimal, plan.Expansions)
		})
	}
}

// TestHopOverheadCost checks the overhead's charges on the tiny profile:
// every hop, input and return included, and both endpoints' loads.
func TestHopOverheadCost(t *testing.T) {
	tests := []struct {
		name       string
		req        Request
		want       []span
		latency    float64
		bottleneck float64
		hops       map[string]int // per node
	}{
		{
			// As in TestCostModel's "latency", two hops: +2·0.05.
			name: "latency", req: Request{SourceNode: "vma", HopOverheadSeconds: 0.05},
			want: []span{{0, 3, "b"}}, latency: 1.1 + 3 + 0.24 + 0.1, bottleneck: 3 + 0.1,
			hops: map[string]int{"b": 2},
		},
		{
			// B,B,A: b's compute 2 plus receiving and sending (0.1); a
			// sends the input and receives the cut: 1 + 0.1.
			name: "throughput", req: Request{SourceNode: "vma", Objective: v1alpha1.ObjectiveThroughput, HopOverheadSeconds: 0.05},
			want: []span{{0, 2, "b"}, {2, 3, "a"}}, latency: 1.1 + 2 + 0.5 + 1 + 0.1, bottleneck: 2.1,
			hops: map[string]int{"a": 2, "b": 2},
		},
		{
			// 4 s per hop makes staying on a (12 s) cheapest: all on b
			// costs 1.1 + 3 + 0.24 + 2·4, a,b,b 1 + 2.1 + 2 + 0.24 + 2·4.
			name: "overhead keeps everything on the source", req: Request{SourceNode: "vma", HopOverheadSeconds: 4},
			want: []span{{0, 3, "a"}}, latency: 12, bottleneck: 12,
			hops: map[string]int{"a": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Solve(tinyProfile(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(plan); !equalSpans(got, tt.want) {
				t.Errorf("partitions %v, want %v", got, tt.want)
			}
			if !near(plan.Totals.LatencySeconds, tt.latency) || !near(plan.Totals.BottleneckSeconds, tt.bottleneck) {
				t.Errorf("latency %v bottleneck %v, want %v and %v", plan.Totals.LatencySeconds, plan.Totals.BottleneckSeconds, tt.latency, tt.bottleneck)
			}
			for _, nu := range plan.Nodes {
				if nu.Hops != tt.hops[nu.Node] || !near(nu.HopSeconds, float64(nu.Hops)*tt.req.HopOverheadSeconds) {
					t.Errorf("node %s: %d hops, %v s; want %d hops", nu.Node, nu.Hops, nu.HopSeconds, tt.hops[nu.Node])
				}
			}
			if !plan.Optimal {
				t.Error("not proven optimal")
			}
		})
	}
}

func TestBadHopOverhead(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Solve(tinyProfile(), Request{SourceNode: "a", HopOverheadSeconds: v}); err == nil || !strings.Contains(err.Error(), "hop overhead") {
			t.Errorf("overhead %v: got %v", v, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestLargeLatencyIsExactAndFast checks that a 200 x 16 latency plan is
// proven optimal by the first descent of the search.
func TestLargeLatencyIsExactAndFast(t *testing.T) {
	for _, tight := range []bool{false, true} {
		prof, req := randomInstance(newRand(11), instanceOptions{nodes: 16, units: 200, memoryTight: tight})
		plan, err := Solve(prof, req)
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Optimal || plan.Expansions > 10*200 {
			t.Errorf("tight=%v: optimal=%v after %d expansions", tight, plan.Optimal, plan.Expansions)
		}
	}
}

// TestLargeMemoryBoundLatencyProven: a 200 x 16 instance whose memory
// binds and whose optimum the search once left unproven at the budget
// (gap 1.7%): the Lagrangian ascent, run until its step has shrunk, now
// finds the optimum's incumbent and the search proves it within the
// default budget.
func TestLargeMemoryBoundLatencyProven(t *testing.T) {
	prof, req := randomInstance(newRand(4), instanceOptions{nodes: 16, units: 200, memoryTight: true})
	plan, err := Solve(prof, req)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Optimal || plan.LowerBound != plan.Optimum {
		t.Errorf("optimal=%v after %d expansions, optimum %v lower bound %v", plan.Optimal, plan.Expansions, plan.Optimum, plan.LowerBound)
	}
}

// TestLargeProportionalThroughputGap: on 200 x 16 proportional instances
// (every node runs every unit at its own speed) the throughput plan is
// within 1% of its proven lower bound.
func TestLargeProportionalThroughputGap(t *testing.T) {
	if testing.Short() {
		t.Skip("solves 200 x 16 throughput instances")
	}
	for _, seed := range []uint64{0, 1, 2} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			prof, req := proportionalInstance(seed, 16, 200)
			plan, err := Solve(prof, req)
			if err != nil {
				t.Fatal(err)
			}
			if plan.LowerBound > plan.Optimum || !close9(plan.Optimum, plan.Totals.BottleneckSeconds) {
				t.Fatalf("lower bound %v, optimum %v, busiest stage %v", plan.LowerBound, plan.Optimum, plan.Totals.BottleneckSeconds)
			}
			if gap := (plan.Optimum - plan.LowerBound) / plan.Optimum; gap >= 0.01 {
				t.Errorf("gap %.2f%% (optimum %v, lower bound %v)", 100*gap, plan.Optimum, plan.LowerBound)
			}
		})
	}
}

// TestPackWithinLimit: whenever the period scan's packing succeeds, the
// placement fits memory and constraints and its busiest stage, computed
// from scratch, is within the limit.
func TestPackWithinLimit(t *testing.T) {
	tests := []struct {
		name string
		opts instanceOptions
	}{
		{"free", instanceOptions{nodes: 4, units: 12}},
		{"tight memory", instanceOptions{nodes: 5, units: 15, memoryTight: true}},
		{"constrained", instanceOptions{nodes: 6, units: 10, constrained: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var packed int
			for seed := range 200 {
				prof, req := randomInstance(newRand(uint64(seed)), tt.opts)
				randomOverhead(newRand(uint64(seed)), prof, &req)
				p, err := newProblem(prof, &req)
				if err != nil {
					t.Fatal(err)
				}
				k := newPacker(p)
				for _, limit := range []float64{0.02, 0.05, 0.1, 0.2, 0.5, 1} {
					if !k.pack(limit) {
						continue
					}
					packed++
					_, period, ok := p.score(k.assign)
					if !ok || period > limit*(1+1e-12) {
						t.Fatalf("seed %d limit %v: packed a placement of busiest stage %v (fits: %v)", seed, limit, period, ok)
					}
				}
			}
			if packed == 0 {
				t.Error("no instance packed")
			}
			t.Logf("%d packings checked", packed)
		})
	}
}

// TestMemorySumsOverflow checks that memory figures whose sums overflow
// int64 are refused. Units: three units of 5 EB each fit a's 8 EB alone;
// before the check a sum that wrapped around let the throughput search
// return a plan overfilling a, and the latency search's diagnosis printed
// a negative size. Nodes: two nodes with 9.2 EB free each made the free
// memory sum negative; the latency search found nothing and its diagnosis
// said the nodes offer -2 B.
func TestMemorySumsOverflow(t *testing.T) {
	units := tinyProfile()
	for i, free := range []int64{8e18, 1e18} {
		units.Nodes[i].MemoryBytes, units.Nodes[i].FreeMemoryBytes = math.MaxInt64, free
		for u := range units.Nodes[i].Units {
			units.Nodes[i].Units[u].MemoryBytes = 5e18
		}
	}
	nodes := tinyProfile()
	for i := range nodes.Nodes {
		nodes.Nodes[i].MemoryBytes, nodes.Nodes[i].FreeMemoryBytes = math.MaxInt64, math.MaxInt64
	}
	for name, prof := range map[string]*clusterprofile.ClusterProfile{"units": units, "nodes": nodes} {
		for _, obj := range []v1alpha1.Objective{v1alpha1.ObjectiveLatency, v1alpha1.ObjectiveThroughput} {
			plan, err := Solve(prof, Request{SourceNode: "a", Objective: obj, HopOverheadSeconds: UseProfileHopOverhead})
			if err == nil || !strings.Contains(err.Error(), "up to more than") {
				t.Errorf("%s, %s: got a plan (%v), error %v; want the sums refused", name, obj, plan != nil, err)
			}
		}
	}
}
