package runtime

import (
	"fmt"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/reconcilers/profile"
)

// NodeProfile converts one node's benchmark into the profile's node entry.
// timeScale multiplies the measured times (1 for real nodes; a simulated
// node with a fractional CPU share scales its times up). A unit's memory is
// its weights plus its peak working activations.
func NodeProfile(n Node, b *chain.NodeBenchmark, timeScale float64) (profile.Node, error) {
	if timeScale <= 0 {
		timeScale = 1
	}
	pn := profile.Node{ID: n.ID, Hostname: n.Hostname, Labels: n.Labels, CPUs: int32(n.CPUs + 0.999),
		MemoryBytes: n.MemoryBytes, FreeMemoryBytes: n.MemoryBytes}
	if len(b.Units) == 0 {
		return pn, fmt.Errorf("node %s: the benchmark measured no unit", n.Hostname)
	}
	for i, u := range b.Units {
		if u.Index != i {
			return pn, fmt.Errorf("node %s: benchmark unit %d is unit %d", n.Hostname, i, u.Index)
		}
		pn.Units = append(pn.Units, profile.UnitMeasurement{Name: u.Name, Seconds: u.Seconds.Median * timeScale,
			MemoryBytes: u.WeightBytes + u.PeakWorkingBytes})
	}
	return pn, nil
}

// Links converts the link measurements of the node with ID from; peerID maps
// a probed peer address to a node ID. Unmeasured peers are skipped.
func Links(from string, b *chain.NodeBenchmark, peerID map[string]string) []profile.Link {
	var out []profile.Link
	for _, l := range b.Links {
		to, ok := peerID[l.Peer]
		if !ok || l.Error != "" || l.BandwidthBytesPerSecond <= 0 {
			continue
		}
		out = append(out, profile.Link{From: from, To: to, RTTSeconds: l.RTTSeconds, BandwidthBytesPerSecond: l.BandwidthBytesPerSecond})
	}
	return out
}
