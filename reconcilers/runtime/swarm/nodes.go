package swarm

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/docker/docker/api/types/swarm"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Nodes lists the swarm's nodes, ready or not, sorted by hostname.
func (r *Runtime) Nodes(ctx context.Context) ([]runtime.Node, error) {
	sn, err := r.eng.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm nodes: %w", err)
	}
	out := make([]runtime.Node, 0, len(sn))
	for _, n := range sn {
		out = append(out, toNode(n))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hostname != out[j].Hostname {
			return out[i].Hostname < out[j].Hostname
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// toNode converts a swarm node. The papdl.io/cpus label, when it parses as
// a positive number, overrides the engine's CPU count (which counts whole
// cores of the engine's affinity mask, not a CFS quota).
func toNode(n swarm.Node) runtime.Node {
	cpus := float64(n.Description.Resources.NanoCPUs) / 1e9
	if v, err := strconv.ParseFloat(n.Spec.Labels[LabelCPUs], 64); err == nil && v > 0 {
		cpus = v
	}
	var labels map[string]string
	if len(n.Spec.Labels) > 0 {
		labels = make(map[string]string, len(n.Spec.Labels))
		for k, v := range n.Spec.Labels {
			labels[k] = v
		}
	}
	return runtime.Node{
		ID:          n.ID,
		Hostname:    n.Description.Hostname,
		Labels:      labels,
		CPUs:        cpus,
		MemoryBytes: n.Description.Resources.MemoryBytes,
		Arch:        n.Description.Platform.Architecture,
		Ready:       n.Status.State == swarm.NodeStateReady && n.Spec.Availability == swarm.NodeAvailabilityActive,
	}
}

// swarmNode finds one node by ID.
func (r *Runtime) swarmNode(ctx context.Context, id string) (swarm.Node, error) {
	sn, err := r.eng.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return swarm.Node{}, fmt.Errorf("list swarm nodes: %w", err)
	}
	for _, n := range sn {
		if n.ID == id {
			return n, nil
		}
	}
	return swarm.Node{}, fmt.Errorf("node %s is not in the swarm", id)
}
