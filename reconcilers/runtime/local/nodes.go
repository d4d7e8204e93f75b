package local

import (
	"fmt"
	"math"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/wholefile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// HostNodeID is the ID of the node that is this host.
const HostNodeID = "local"

// SimulatedNode declares an extra node for experiments.
type SimulatedNode struct {
	Name   string            `json:"name"`
	CPUs   float64           `json:"cpus"`
	Memory string            `json:"memory"` // bytes, or with Ki/Mi/Gi suffix
	Labels map[string]string `json:"labels,omitempty"`
}

// maxNodesFileBytes bounds a simulated-nodes file (a few lines a node).
const maxNodesFileBytes = 1 << 20

// LoadSimulatedNodes reads a YAML list of SimulatedNode (strictly: an
// unknown or mistyped field is an error naming it).
func LoadSimulatedNodes(path string) ([]SimulatedNode, error) {
	data, err := wholefile.Read(path, maxNodesFileBytes)
	if err != nil {
		return nil, fmt.Errorf("simulated nodes: %w", err)
	}
	var nodes []SimulatedNode
	if err := strict.Decode(data, &nodes); err != nil {
		return nil, fmt.Errorf("simulated nodes %s: %w", path, err)
	}
	if err := checkSimulated(nodes); err != nil {
		return nil, fmt.Errorf("simulated nodes %s: %w", path, err)
	}
	return nodes, nil
}

// maxSimulatedCPUs bounds a simulated node's CPUs (its cgroup quota is the
// CPUs times the period, in microseconds).
const maxSimulatedCPUs = 1024

// checkSimulated validates simulated nodes before anything uses them: a
// name becomes a cgroup directory, so it must be a DNS label (no "..",
// no "/"), unique and not the host's; CPUs and memory must be finite,
// positive and bounded.
func checkSimulated(nodes []SimulatedNode) error {
	seen := map[string]bool{HostNodeID: true}
	for i, n := range nodes {
		if err := v1alpha1.ValidateName(n.Name); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if seen[n.Name] {
			return fmt.Errorf("entry %d: name %q is taken", i, n.Name)
		}
		seen[n.Name] = true
		if !(n.CPUs > 0 && n.CPUs <= maxSimulatedCPUs) { // also refuses NaN
			return fmt.Errorf("node %s: cpus %v: cpus must be positive and at most %d", n.Name, n.CPUs, maxSimulatedCPUs)
		}
		if _, err := parseMemory(n.Memory); err != nil {
			return fmt.Errorf("node %s: memory: %w", n.Name, err)
		}
	}
	return nil
}

// parseMemory reads bytes, or a count with a Ki/Mi/Gi suffix.
func parseMemory(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive byte count", s)
	}
	if v > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q times %d overflows 64 bits", s, mult)
	}
	return v * mult, nil
}

// Labels of simulated nodes saying how their caps hold.
const (
	LabelCaps       = "papdl.io/caps"
	capsEnforced    = "cgroup"
	capsNotEnforced = "none"
)

// nodes lists the host node and the simulated ones. A simulated node whose
// caps are not enforced is shown with the host's resources: what the
// planner sees is what runs.
func (r *Runtime) nodes() []runtime.Node {
	host, _ := os.Hostname()
	hostCPUs, hostMem := float64(goruntime.NumCPU()), chain.HostMemoryBytes()
	out := []runtime.Node{{ID: HostNodeID, Hostname: HostNodeID, Labels: map[string]string{"papdl.io/host": host},
		CPUs: hostCPUs, MemoryBytes: hostMem, Arch: goruntime.GOARCH, Ready: true}}
	for _, s := range r.cfg.Simulated {
		mem, _ := parseMemory(s.Memory)
		labels := map[string]string{LabelCaps: capsEnforced}
		for k, v := range s.Labels {
			labels[k] = v
		}
		n := runtime.Node{ID: s.Name, Hostname: s.Name, Labels: labels, CPUs: s.CPUs, MemoryBytes: mem,
			Arch: goruntime.GOARCH, Ready: true}
		if r.cg == nil {
			n.Labels[LabelCaps] = capsNotEnforced
			n.CPUs, n.MemoryBytes = hostCPUs, hostMem
		}
		out = append(out, n)
	}
	return out
}

// env is the environment of a process on node id: the Go runtime told its
// node's caps, when they are enforced.
func (r *Runtime) env(nodeID string) []string { return r.envFor(nodeID, 0) }

// envFor is the environment of a process on a capped node: GOMAXPROCS from
// the node's CPUs and GOMEMLIMIT from the process's share of its memory
// (runtime.HeapLimit, at most the node's memory; the node's memory when it
// has no reservation). Every process on a node shares the node's cgroup.
func (r *Runtime) envFor(nodeID string, reservation int64) []string {
	if r.cg == nil {
		return nil
	}
	for _, s := range r.cfg.Simulated {
		if s.Name == nodeID {
			mem, _ := parseMemory(s.Memory)
			if limit := runtime.HeapLimit(reservation); limit > 0 {
				mem = min(mem, limit)
			}
			procs := int(s.CPUs + 0.999)
			return []string{fmt.Sprintf("GOMAXPROCS=%d", procs), fmt.Sprintf("GOMEMLIMIT=%d", mem)}
		}
	}
	return nil
}
