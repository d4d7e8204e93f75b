package planner

import (
	"fmt"
	"math/rand/v2"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// instanceOptions shape a random instance.
type instanceOptions struct {
	nodes, units int
	// memoryTight makes node memory binding.
	memoryTight bool
	// constrained adds pins, avoid rules and a node selector.
	constrained bool
}

// randomInstance builds a valid profile and a request from a seeded RNG.
func randomInstance(rng *rand.Rand, o instanceOptions) (*clusterprofile.ClusterProfile, Request) {
	prof := &clusterprofile.ClusterProfile{APIVersion: clusterprofile.APIVersion, Kind: clusterprofile.Kind, Units: clusterprofile.StandardUnits()}
	prof.Model.Name = "random"
	prof.Model.InputBytes = 1000 + rng.Int64N(1_000_000)
	prof.Model.OutputBytes = 10 + rng.Int64N(100_000)
	var weights, total int64
	for u := range o.units {
		out := 100 + rng.Int64N(2_000_000)
		cut := out
		if rng.IntN(4) == 0 { // a residual block: more than the unit's output crosses
			cut += rng.Int64N(1_000_000)
		}
		if u == o.units-1 {
			out, cut = prof.Model.OutputBytes, prof.Model.OutputBytes
		}
		w := rng.Int64N(50 << 20)
		weights += w
		prof.Model.Units = append(prof.Model.Units, clusterprofile.Unit{
			Name: fmt.Sprintf("u%d", u), WeightBytes: w, OutputBytes: out, CutBytes: cut})
	}
	for n := range o.nodes {
		speed := 0.2 + 3*rng.Float64()
		node := clusterprofile.Node{ID: fmt.Sprintf("id%d", n), Hostname: fmt.Sprintf("vm%d", n), CPUs: 4,
			Labels: map[string]string{"zone": []string{"a", "b"}[rng.IntN(2)]}}
		var sum int64
		for u := range o.units {
			mem := prof.Model.Units[u].WeightBytes + rng.Int64N(20<<20)
			sum += mem
			node.Units = append(node.Units, clusterprofile.UnitMeasurement{
				Seconds: speed * (0.001 + 0.05*rng.Float64()), MemoryBytes: mem})
		}
		total = max(total, sum)
		node.MemoryBytes = 64 << 30
		node.FreeMemoryBytes = 32 << 30
		if o.memoryTight {
			// Between a fifth and all of the model: several nodes are needed.
			node.FreeMemoryBytes = sum/4 + rng.Int64N(sum+1)
			node.MemoryBytes = node.FreeMemoryBytes + rng.Int64N(1<<30)
		}
		prof.Nodes = append(prof.Nodes, node)
	}
	for _, a := range prof.Nodes {
		for _, b := range prof.Nodes {
			if a.ID != b.ID {
				prof.Links = append(prof.Links, clusterprofile.Link{From: a.ID, To: b.ID,
					RTTSeconds:              0.0002 + 0.02*rng.Float64(),
					BandwidthBytesPerSecond: 1e6 + 1e8*rng.Float64()})
			}
		}
	}
	// The profile sets no hop overhead: the default (0.0003 s) applies.
	req := Request{SourceNode: prof.Nodes[rng.IntN(o.nodes)].Hostname, HopOverheadSeconds: UseProfileHopOverhead}
	if o.memoryTight {
		req.Headroom = Headroom{Bytes: rng.Int64N(4 << 20), Percent: int32(rng.IntN(3))}
	}
	if o.constrained {
		for range rng.IntN(3) {
			s := rng.IntN(o.units)
			e := s + 1 + rng.IntN(min(3, o.units-s))
			req.Pins = append(req.Pins, Pin{Start: s, End: e, Node: prof.Nodes[rng.IntN(o.nodes)].ID})
		}
		req.Pins = dropConflictingPins(req.Pins)
		for range rng.IntN(3) {
			s := rng.IntN(o.units)
			e := s + 1 + rng.IntN(o.units-s)
			req.Avoid = append(req.Avoid, Avoid{Start: s, End: e, Nodes: []string{prof.Nodes[rng.IntN(o.nodes)].Hostname}})
		}
		if rng.IntN(3) == 0 {
			req.NodeSelector = map[string]string{"zone": "a"}
		}
	}
	return prof, req
}

// identicalNodes is a cluster of identical nodes on a fast LAN (RTT 0.1
// ms, 1 GB/s) running a model of units of 0.5-3 ms: with no hop overhead,
// placing units alternately on the nodes balances the load best.
func identicalNodes(seed uint64, nodes, units int) *clusterprofile.ClusterProfile {
	rng := newRand(seed)
	prof := &clusterprofile.ClusterProfile{APIVersion: clusterprofile.APIVersion, Kind: clusterprofile.Kind, Units: clusterprofile.StandardUnits()}
	prof.Model = clusterprofile.Model{Name: "identical", InputBytes: 602112, OutputBytes: 4000}
	secs := make([]float64, units)
	for u := range units {
		cut := int64(50_000 + rng.IntN(400_000))
		if u == units-1 {
			cut = prof.Model.OutputBytes
		}
		prof.Model.Units = append(prof.Model.Units, clusterprofile.Unit{Name: fmt.Sprintf("u%d", u),
			WeightBytes: 1 << 20, OutputBytes: cut, CutBytes: cut})
		secs[u] = 0.0005 + 0.0025*rng.Float64()
	}
	for n := range nodes {
		node := clusterprofile.Node{ID: fmt.Sprintf("id%d", n), Hostname: fmt.Sprintf("vm%d", n), CPUs: 2,
			MemoryBytes: 8 << 30, FreeMemoryBytes: 4 << 30}
		for u := range units {
			node.Units = append(node.Units, clusterprofile.UnitMeasurement{Seconds: secs[u], MemoryBytes: 2 << 20})
		}
		prof.Nodes = append(prof.Nodes, node)
	}
	for _, a := range prof.Nodes {
		for _, b := range prof.Nodes {
			if a.ID != b.ID {
				prof.Links = append(prof.Links, clusterprofile.Link{From: a.ID, To: b.ID, RTTSeconds: 0.0001, BandwidthBytesPerSecond: 1e9})
			}
		}
	}
	return prof
}

// dropConflictingPins keeps the pins that do not pin a unit to two nodes.
func dropConflictingPins(pins []Pin) []Pin {
	var out []Pin
	for _, p := range pins {
		ok := true
		for _, q := range out {
			if p.Start < q.End && q.Start < p.End && p.Node != q.Node {
				ok = false
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// proportionalInstance is a cluster closer to real devices than
// randomInstance: every node runs every unit at its own speed (unit times
// proportional across nodes, speeds 0.5-2x, units of 0.5-20 ms), on a LAN
// (RTT 0.2-2 ms, 10-110 MB/s) with cuts of up to 2 MB and free memory.
func proportionalInstance(seed uint64, nodes, units int) (*clusterprofile.ClusterProfile, Request) {
	rng := newRand(seed)
	prof := &clusterprofile.ClusterProfile{APIVersion: clusterprofile.APIVersion, Kind: clusterprofile.Kind, Units: clusterprofile.StandardUnits()}
	prof.Model = clusterprofile.Model{Name: "proportional", InputBytes: 1000 + rng.Int64N(1_000_000), OutputBytes: 10 + rng.Int64N(100_000)}
	secs := make([]float64, units)
	for u := range units {
		cut := 100 + rng.Int64N(2_000_000)
		if u == units-1 {
			cut = prof.Model.OutputBytes
		}
		prof.Model.Units = append(prof.Model.Units, clusterprofile.Unit{Name: fmt.Sprintf("u%d", u),
			WeightBytes: rng.Int64N(20 << 20), OutputBytes: cut, CutBytes: cut})
		secs[u] = 0.0005 + 0.0195*rng.Float64()
	}
	for n := range nodes {
		speed := 0.5 + 1.5*rng.Float64()
		node := clusterprofile.Node{ID: fmt.Sprintf("id%d", n), Hostname: fmt.Sprintf("vm%d", n), CPUs: 4,
			MemoryBytes: 64 << 30, FreeMemoryBytes: 32 << 30}
		for u := range units {
			node.Units = append(node.Units, clusterprofile.UnitMeasurement{Seconds: speed * secs[u],
				MemoryBytes: prof.Model.Units[u].WeightBytes + 1<<20})
		}
		prof.Nodes = append(prof.Nodes, node)
	}
	for _, a := range prof.Nodes {
		for _, b := range prof.Nodes {
			if a.ID != b.ID {
				prof.Links = append(prof.Links, clusterprofile.Link{From: a.ID, To: b.ID,
					RTTSeconds: 0.0002 + 0.0018*rng.Float64(), BandwidthBytesPerSecond: 1e7 + 1e8*rng.Float64()})
			}
		}
	}
	req := Request{SourceNode: prof.Nodes[rng.IntN(nodes)].Hostname, HopOverheadSeconds: UseProfileHopOverhead,
		Objective: v1alpha1.ObjectiveThroughput}
	return prof, req
}
