package runtime

import (
	"fmt"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// CPUCount rounds a fractional CPU count up: profiles hold whole CPUs.
func CPUCount(cpus float64) int32 {
	n := int32(cpus)
	if float64(n) < cpus {
		n++
	}
	return n
}

// NodeProfile converts one node's benchmark into the profile's node entry;
// resources come from the runtime's view of the node (a container sees its
// host's /proc, not the node's caps). timeScale multiplies the measured
// times (1 for real nodes; a simulated node with a fractional CPU share
// scales its times up). A unit's memory is twice its weights (the engine
// keeps the decoded initializers and the kernels' packed copies) plus its
// peak working activations.
func NodeProfile(n Node, b *chain.NodeBenchmark, timeScale float64) (clusterprofile.Node, error) {
	if timeScale <= 0 {
		timeScale = 1
	}
	pn := clusterprofile.Node{ID: n.ID, Hostname: n.Hostname, Labels: n.Labels, CPUs: CPUCount(n.CPUs),
		MemoryBytes: n.MemoryBytes, FreeMemoryBytes: n.MemoryBytes}
	if t := b.ModelSeconds; t != nil && t.Median > 0 && t.P90 >= t.P10 {
		noise := (t.P90 - t.P10) / (2 * t.Median)
		pn.Noise = &noise
	}
	for i, u := range b.Units {
		if u.Index != i {
			return pn, fmt.Errorf("node %s: benchmark unit %d is unit %d", n.Hostname, i, u.Index)
		}
		pn.Units = append(pn.Units, clusterprofile.UnitMeasurement{Name: u.Name, Seconds: u.Seconds.Median * timeScale,
			MemoryBytes: 2*u.WeightBytes + u.PeakWorkingBytes})
	}
	return pn, nil
}

// Links converts the link measurements of the node with ID from; peerID maps
// a probed peer address to a node ID. Failed or unknown peers come back as
// errors, not links.
func Links(from string, b *chain.NodeBenchmark, peerID map[string]string) ([]clusterprofile.Link, []error) {
	var links []clusterprofile.Link
	var errs []error
	for _, l := range b.Links {
		to, ok := peerID[l.Peer]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("link to unknown peer %s", l.Peer))
		case l.Error != "":
			errs = append(errs, fmt.Errorf("link to %s: %s", l.Peer, l.Error))
		case l.BandwidthBytesPerSecond <= 0:
			errs = append(errs, fmt.Errorf("link to %s: no bandwidth could be fitted", l.Peer))
		default:
			links = append(links, clusterprofile.Link{From: from, To: to, RTTSeconds: l.RTTSeconds,
				BandwidthBytesPerSecond: l.BandwidthBytesPerSecond})
		}
	}
	return links, errs
}
