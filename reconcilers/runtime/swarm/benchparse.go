package swarm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/papdl/papdl/reconcilers/profile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// benchLinePrefix starts the result line a benchmark may print; without
// one, the first JSON object on stdout is the result (papdl-node bench
// prints it indented).
const benchLinePrefix = "PAPDL-BENCHMARK "

// nodeBench is the part of papdl-node's NodeBenchmark
// (papdl.io/node-benchmark/v1) the profile needs.
type nodeBench struct {
	Format      string `json:"format"`
	Node        string `json:"node"`
	CPUs        int    `json:"cpus"`
	MemoryBytes int64  `json:"memoryBytes"`
	Units       []struct {
		Name    string `json:"name"`
		Seconds struct {
			Median float64 `json:"median"`
		} `json:"seconds"`
		WeightBytes      int64 `json:"weightBytes"`
		PeakWorkingBytes int64 `json:"peakWorkingBytes"`
	} `json:"units"`
	Links []struct {
		Peer                    string  `json:"peer"`
		RTTSeconds              float64 `json:"rttSeconds"`
		BandwidthBytesPerSecond float64 `json:"bandwidthBytesPerSecond"`
		Error                   string  `json:"error"`
	} `json:"links"`
}

// parseBench finds the benchmark result in a task's stdout.
func parseBench(stdout []byte) (*nodeBench, error) {
	var nb nodeBench
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		if js, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), benchLinePrefix); ok {
			if err := json.Unmarshal([]byte(js), &nb); err != nil {
				return nil, fmt.Errorf("decode %sline: %w", benchLinePrefix, err)
			}
			return &nb, nil
		}
	}
	start := -1
	if bytes.HasPrefix(stdout, []byte("{")) {
		start = 0
	} else if i := bytes.Index(stdout, []byte("\n{")); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return nil, errors.New("no benchmark result in the output")
	}
	if err := json.NewDecoder(bytes.NewReader(stdout[start:])).Decode(&nb); err != nil {
		return nil, fmt.Errorf("decode benchmark result: %w", err)
	}
	return &nb, nil
}

// profileNode is one node of the cluster profile. Resources come from
// the swarm (a container sees the host's /proc, not the node's).
//
// TODO(papdl-node): the benchmark does not report free memory yet; the
// node's total is used.
func profileNode(n runtime.Node, nb *nodeBench) profile.Node {
	pn := profile.Node{
		ID: n.ID, Hostname: n.Hostname, Labels: n.Labels, CPUs: ceilCPUs(n.CPUs),
		MemoryBytes: n.MemoryBytes, FreeMemoryBytes: n.MemoryBytes,
	}
	for _, u := range nb.Units {
		pn.Units = append(pn.Units, profile.UnitMeasurement{
			Name: u.Name, Seconds: u.Seconds.Median, MemoryBytes: u.WeightBytes + u.PeakWorkingBytes,
		})
	}
	return pn
}

// ceilCPUs rounds a fractional CPU count up (profiles hold whole CPUs).
func ceilCPUs(c float64) int32 {
	n := int32(c)
	if float64(n) < c {
		n++
	}
	return n
}

// profileLinks turns a node's link measurements into profile links;
// peerNode maps a probe address to the node ID it runs on. Failed or
// unknown peers are returned as errors, not links.
func profileLinks(from string, nb *nodeBench, peerNode map[string]string) ([]profile.Link, []error) {
	var links []profile.Link
	var errs []error
	for _, l := range nb.Links {
		to, ok := peerNode[l.Peer]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("link to unknown peer %s", l.Peer))
		case l.Error != "":
			errs = append(errs, fmt.Errorf("link to %s: %s", l.Peer, l.Error))
		default:
			links = append(links, profile.Link{From: from, To: to, RTTSeconds: l.RTTSeconds,
				BandwidthBytesPerSecond: l.BandwidthBytesPerSecond})
		}
	}
	return links, errs
}
