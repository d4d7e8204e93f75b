package local

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/inference/chain"
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

// LoadSimulatedNodes reads a YAML list of SimulatedNode.
func LoadSimulatedNodes(path string) ([]SimulatedNode, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("simulated nodes: %w", err)
	}
	var nodes []SimulatedNode
	if err := yaml.UnmarshalStrict(data, &nodes); err != nil {
		return nil, fmt.Errorf("simulated nodes %s: %w", path, err)
	}
	seen := map[string]bool{HostNodeID: true}
	for i, n := range nodes {
		if n.Name == "" || seen[n.Name] {
			return nil, fmt.Errorf("simulated nodes %s: entry %d: name %q is empty or taken", path, i, n.Name)
		}
		seen[n.Name] = true
		if n.CPUs <= 0 {
			return nil, fmt.Errorf("simulated nodes %s: node %s: cpus must be positive", path, n.Name)
		}
		if _, err := parseMemory(n.Memory); err != nil {
			return nil, fmt.Errorf("simulated nodes %s: node %s: memory: %w", path, n.Name, err)
		}
	}
	return nodes, nil
}

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
	return v * mult, nil
}

// nodes lists the host node and the simulated ones.
func (r *Runtime) nodes() []runtime.Node {
	host, _ := os.Hostname()
	out := []runtime.Node{{ID: HostNodeID, Hostname: HostNodeID, Labels: map[string]string{"papdl.io/host": host},
		CPUs: float64(goruntime.NumCPU()), MemoryBytes: chain.HostMemoryBytes(), Arch: goruntime.GOARCH, Ready: true}}
	for _, s := range r.cfg.Simulated {
		mem, _ := parseMemory(s.Memory)
		out = append(out, runtime.Node{ID: s.Name, Hostname: s.Name, Labels: s.Labels, CPUs: s.CPUs,
			MemoryBytes: mem, Arch: goruntime.GOARCH, Ready: true})
	}
	return out
}

// env is the environment of a process on node id: its CPU and memory caps.
func (r *Runtime) env(nodeID string) []string {
	for _, s := range r.cfg.Simulated {
		if s.Name == nodeID {
			mem, _ := parseMemory(s.Memory)
			procs := int(s.CPUs + 0.999)
			return []string{fmt.Sprintf("GOMAXPROCS=%d", procs), fmt.Sprintf("GOMEMLIMIT=%d", mem)}
		}
	}
	return nil
}

// timeScale is how much slower a node computes than the processes that run
// for it: a node with 0.5 CPU runs on one whole core here, so its times
// double.
func (r *Runtime) timeScale(nodeID string) float64 {
	for _, s := range r.cfg.Simulated {
		if s.Name == nodeID {
			procs := float64(int(s.CPUs + 0.999))
			return procs / s.CPUs
		}
	}
	return 1
}
