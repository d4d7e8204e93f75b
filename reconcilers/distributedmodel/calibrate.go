package distributedmodel

import (
	"fmt"
	"math"
	"slices"

	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// Calibration factors are bounded: a window of traffic may say a node is
// slower or faster than its profile, never by more than this.
const maxCalibration = 16

// calibrate takes, for each node in factors (node ID -> measured compute
// over predicted compute of the model's partitions there), the unit times
// of prev (the profile the prediction was made from) scaled by the factor,
// in place of fresh's times for that node. A node that serves the model is
// benchmarked against the model's own traffic, which makes it look slower
// than it is and pushes the plan off it; the traffic's own times are what
// the node does. Nodes missing from either profile, and profiles whose
// units differ, are left as measured. It returns a line per calibrated
// node, for an event.
func calibrate(fresh, prev *clusterprofile.ClusterProfile, factors map[string]float64) []string {
	if prev == nil || len(factors) == 0 || !sameUnits(fresh, prev) {
		return nil
	}
	ids := make([]string, 0, len(factors))
	for id := range factors {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var notes []string
	for _, id := range ids {
		f := factors[id]
		i, j := fresh.NodeIndex(id), prev.NodeIndex(id)
		if i < 0 || j < 0 || math.IsNaN(f) || f <= 0 || math.IsInf(f, 0) {
			continue
		}
		f = min(max(f, 1.0/maxCalibration), maxCalibration)
		benched, calibrated := 0.0, 0.0
		for u := range fresh.Nodes[i].Units {
			benched += fresh.Nodes[i].Units[u].Seconds
			fresh.Nodes[i].Units[u].Seconds = prev.Nodes[j].Units[u].Seconds * f
			calibrated += fresh.Nodes[i].Units[u].Seconds
		}
		notes = append(notes, fmt.Sprintf("%s: %.2f ms from its traffic (%.2fx the last profile) instead of the %.2f ms benchmarked next to it",
			fresh.Nodes[i].Hostname, 1e3*calibrated, f, 1e3*benched))
	}
	return notes
}

// sameUnits reports whether two profiles measure the same units, in order,
// on every node.
func sameUnits(a, b *clusterprofile.ClusterProfile) bool {
	if len(a.Model.Units) != len(b.Model.Units) {
		return false
	}
	for u := range a.Model.Units {
		if a.Model.Units[u].Name != b.Model.Units[u].Name {
			return false
		}
	}
	for _, p := range []*clusterprofile.ClusterProfile{a, b} {
		for _, n := range p.Nodes {
			if len(n.Units) != len(p.Model.Units) {
				return false
			}
		}
	}
	return true
}
