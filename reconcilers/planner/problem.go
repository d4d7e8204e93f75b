package planner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// problem is the index-based form the solver works on. Slices indexed by
// unit and node are flat: [u*N+n]; by node pair: [m*N+n].
type problem struct {
	U, N int
	src  int
	// comp is the unit's time on the node, +Inf where constraints forbid it.
	comp []float64
	// mem is the unit's peak memory on the node.
	mem []int64
	// capacity is each node's free memory minus headroom (never negative).
	capacity []int64
	// xfer[u*N*N+m*N+n] is the hop from m to n carrying the bytes before
	// unit u: the input for u=0, the cut after u-1, the output for u=U.
	xfer []float64
	// bytes[u] is what xfer[u] carries.
	bytes []int64
	// overhead is the per-hop overhead: part of every xfer between two
	// different nodes, and charged to both endpoints' load.
	overhead float64

	// Diagnostics: why units are forbidden.
	pinned   []int    // per unit: pinned node index or -1
	pinFrom  []string // per unit: the pin's origin
	avoided  []string // per unit*node: the avoid rule's origin, or ""
	selected []bool   // per node: matches the node selector
}

func (p *problem) hop(u, m, n int) float64 { return p.xfer[(u*p.N+m)*p.N+n] }

// newProblem resolves the request against the profile.
func newProblem(prof *clusterprofile.ClusterProfile, req *Request) (*problem, error) {
	if err := prof.Validate().ToAggregate(); err != nil {
		return nil, fmt.Errorf("invalid profile: %w", err)
	}
	U, N := len(prof.Model.Units), len(prof.Nodes)
	p := &problem{U: U, N: N,
		comp: make([]float64, U*N), mem: make([]int64, U*N), capacity: make([]int64, N),
		xfer: make([]float64, (U+1)*N*N), bytes: make([]int64, U+1),
		pinned: make([]int, U), pinFrom: make([]string, U), avoided: make([]string, U*N), selected: make([]bool, N)}
	p.src = prof.NodeIndex(req.SourceNode)
	if p.src < 0 {
		return nil, fmt.Errorf("source node %q is not in the profile (nodes: %s)", req.SourceNode, nodeNames(prof))
	}
	if req.Headroom.Bytes < 0 || req.Headroom.Percent < 0 || req.Headroom.Percent > 100 {
		return nil, fmt.Errorf("invalid headroom %d bytes + %d%%", req.Headroom.Bytes, req.Headroom.Percent)
	}
	if req.SourceReserveBytes < 0 {
		return nil, fmt.Errorf("invalid source reserve %d bytes", req.SourceReserveBytes)
	}
	for n, node := range prof.Nodes {
		c := node.FreeMemoryBytes - req.Headroom.Bytes - node.MemoryBytes*int64(req.Headroom.Percent)/100
		if n == p.src {
			c -= req.SourceReserveBytes
		}
		p.capacity[n] = max(c, 0)
		p.selected[n] = matches(node.Labels, req.NodeSelector)
	}
	for u := range U {
		p.pinned[u] = -1
		for n := range N {
			m := prof.Nodes[n].Units[u]
			p.comp[u*N+n] = m.Seconds
			p.mem[u*N+n] = max(m.MemoryBytes, prof.Model.Units[u].WeightBytes)
		}
	}
	if err := p.checkMemorySums(); err != nil {
		return nil, err
	}
	for i, pin := range req.Pins {
		origin := cmp(pin.Origin, fmt.Sprintf("pins[%d]", i))
		if pin.Start < 0 || pin.End > U || pin.Start >= pin.End {
			return nil, fmt.Errorf("%s: unit range [%d,%d) is not within [0,%d)", origin, pin.Start, pin.End, U)
		}
		n := prof.NodeIndex(pin.Node)
		if n < 0 {
			return nil, fmt.Errorf("%s: node %q is not in the profile", origin, pin.Node)
		}
		for u := pin.Start; u < pin.End; u++ {
			if p.pinned[u] >= 0 && p.pinned[u] != n {
				return nil, &InfeasibleError{Constraint: "constraints", Message: fmt.Sprintf(
					"unit %q is pinned to %s by %s and to %s by %s", prof.Model.Units[u].Name,
					prof.Nodes[p.pinned[u]].Hostname, p.pinFrom[u], prof.Nodes[n].Hostname, origin)}
			}
			p.pinned[u], p.pinFrom[u] = n, origin
		}
	}
	for i, av := range req.Avoid {
		origin := cmp(av.Origin, fmt.Sprintf("avoid[%d]", i))
		if av.Start < 0 || av.End > U || av.Start >= av.End {
			return nil, fmt.Errorf("%s: unit range [%d,%d) is not within [0,%d)", origin, av.Start, av.End, U)
		}
		for _, name := range av.Nodes {
			n := prof.NodeIndex(name)
			if n < 0 {
				return nil, fmt.Errorf("%s: node %q is not in the profile", origin, name)
			}
			for u := av.Start; u < av.End; u++ {
				p.avoided[u*N+n] = origin
			}
		}
	}
	for u := range U {
		for n := range N {
			if !p.selected[n] || p.avoided[u*N+n] != "" || (p.pinned[u] >= 0 && p.pinned[u] != n) {
				p.comp[u*N+n] = math.Inf(1)
			}
		}
	}
	p.overhead = req.HopOverheadSeconds
	if math.IsNaN(p.overhead) || math.IsInf(p.overhead, 0) {
		return nil, fmt.Errorf("invalid hop overhead %v seconds", req.HopOverheadSeconds)
	}
	if p.overhead < 0 {
		p.overhead = prof.HopOverhead()
	}
	in := prof.Model.InputBytes
	if req.InputBytes > 0 {
		in = req.InputBytes
	}
	p.bytes[0], p.bytes[U] = in, prof.Model.OutputBytes
	for u := 1; u < U; u++ {
		p.bytes[u] = prof.Model.Units[u-1].CutBytes
	}
	lat, bw := make([]float64, N*N), make([]float64, N*N)
	for _, l := range prof.Links {
		m, n := prof.NodeIndex(l.From), prof.NodeIndex(l.To)
		lat[m*N+n], bw[m*N+n] = l.RTTSeconds/2, l.BandwidthBytesPerSecond
	}
	for u := 0; u <= U; u++ {
		b := float64(p.bytes[u])
		for m := range N {
			for n := range N {
				if m != n {
					p.xfer[(u*N+m)*N+n] = lat[m*N+n] + b/bw[m*N+n] + p.overhead
				}
			}
		}
	}
	return p, nil
}

// checkMemorySums refuses memory figures whose sums overflow int64: the
// planner adds the units' memory on a node (at most the sum over units of
// each unit's largest figure) and the capacities of all nodes, and a sum
// that wraps around would let units overfill a node or garble the
// diagnosis. Real figures are far below the limit (9.2 EB).
func (p *problem) checkMemorySums() error {
	N := p.N
	var need, offer int64
	for u := range p.U {
		most := slices.Max(p.mem[u*N : (u+1)*N])
		if most > math.MaxInt64-need {
			return fmt.Errorf("the units' memory figures add up to more than %d bytes", int64(math.MaxInt64))
		}
		need += most
	}
	for _, c := range p.capacity {
		if c > math.MaxInt64-offer {
			return fmt.Errorf("the nodes' free memory adds up to more than %d bytes", int64(math.MaxInt64))
		}
		offer += c
	}
	return nil
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func nodeNames(prof *clusterprofile.ClusterProfile) string {
	names := make([]string, len(prof.Nodes))
	for i, n := range prof.Nodes {
		names[i] = n.Hostname
	}
	return strings.Join(names, ", ")
}

// diagnose names the binding constraint of an instance with no placement.
func (p *problem) diagnose(prof *clusterprofile.ClusterProfile) *InfeasibleError {
	N := p.N
	name := func(u int) string { return prof.Model.Units[u].Name }
	host := func(n int) string { return prof.Nodes[n].Hostname }
	mib := v1alpha1.FormatBytes
	// 1. A unit that constraints forbid everywhere.
	for u := range p.U {
		if slices.ContainsFunc(p.comp[u*N:(u+1)*N], func(c float64) bool { return !math.IsInf(c, 1) }) {
			continue
		}
		if n := p.pinned[u]; n >= 0 {
			why := "the node selector"
			if o := p.avoided[u*N+n]; o != "" {
				why = o
			}
			return &InfeasibleError{Constraint: "constraints", Message: fmt.Sprintf(
				"unit %q is pinned to %s by %s, but %s excludes %s", name(u), host(n), p.pinFrom[u], why, host(n))}
		}
		return &InfeasibleError{Constraint: "constraints", Message: fmt.Sprintf(
			"unit %q has no allowed node: avoid rules and the node selector exclude every node", name(u))}
	}
	// 2. A unit that fits no allowed node on its own.
	for u := range p.U {
		best, fits := -1, false
		for n := range N {
			if math.IsInf(p.comp[u*N+n], 1) {
				continue
			}
			if p.mem[u*N+n] <= p.capacity[n] {
				fits = true
				break
			}
			if best < 0 || p.capacity[n]-p.mem[u*N+n] > p.capacity[best]-p.mem[u*N+best] {
				best = n
			}
		}
		if !fits {
			return &InfeasibleError{Constraint: "unit-memory", Message: fmt.Sprintf(
				"unit %q needs %s, the most any allowed node offers is %s on %q",
				name(u), mib(p.mem[u*N+best]), mib(p.capacity[best]), host(best))}
		}
	}
	// 3. Units pinned to one node that do not fit it together.
	for n := range N {
		var sum int64
		var units []string
		for u := range p.U {
			if p.pinned[u] == n {
				sum += p.mem[u*N+n]
				units = append(units, name(u))
			}
		}
		if sum > p.capacity[n] {
			return &InfeasibleError{Constraint: "pinned-memory", Message: fmt.Sprintf(
				"the %d units pinned to %q (%s … %s) need %s together, %q offers %s",
				len(units), host(n), units[0], units[len(units)-1], mib(sum), host(n), mib(p.capacity[n]))}
		}
	}
	// 4. The model does not fit all allowed nodes together.
	var need, offer int64
	usable := make([]bool, N)
	for u := range p.U {
		least := int64(math.MaxInt64)
		for n := range N {
			if !math.IsInf(p.comp[u*N+n], 1) {
				least = min(least, p.mem[u*N+n])
				usable[n] = true
			}
		}
		need += least
	}
	for n := range N {
		if usable[n] {
			offer += p.capacity[n]
		}
	}
	if need > offer {
		return &InfeasibleError{Constraint: "total-memory", Message: fmt.Sprintf(
			"the model needs at least %s in total, the allowed nodes offer %s together", mib(need), mib(offer))}
	}
	return &InfeasibleError{Constraint: "memory-packing", Message: fmt.Sprintf(
		"every unit fits some allowed node and the nodes offer %s for at least %s, "+
			"but no assignment of units to nodes fits every node's memory at once", mib(offer), mib(need))}
}
