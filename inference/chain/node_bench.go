package chain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
)

// NodeBenchOptions configure RunNodeBenchmark.
type NodeBenchOptions struct {
	// Node names the node in the output (default: the host name).
	Node string
	// Analysis, optional, is the model to profile whole.
	Analysis *slice.Analysis
	// Partitions, optional (instead of Analysis), is the model cut into a
	// benchmark partition set, profiled one partition at a time
	// (MeasurePartitions) to bound memory.
	Partitions *PartitionSet
	// Units selects the units to report (empty: all).
	Units   []int
	Profile profile.Options
	// Peers are other nodes' probe servers (host:port).
	Peers []string
	// Sizes are the probe payloads in bytes (default: up to 8 of the
	// model's cut sizes plus 1 KiB, or 1 KiB..16 MiB without a model).
	Sizes   []int64
	Repeats int
	// PeerWait is how long to keep trying a peer that refuses connections
	// (it may still be starting; default 30 s).
	PeerWait time.Duration
}

// RunNodeBenchmark profiles the model's units on this node and measures the
// links to the peers. A peer that cannot be measured gets an Error entry.
func RunNodeBenchmark(ctx context.Context, o NodeBenchOptions) (*NodeBenchmark, error) {
	host, _ := os.Hostname()
	nb := &NodeBenchmark{Format: NodeBenchmarkFormat, Node: o.Node, Host: host, CPUs: runtime.NumCPU(), MemoryBytes: HostMemoryBytes()}
	if nb.Node == "" {
		nb.Node = host
	}
	if o.Analysis != nil && o.Partitions != nil {
		return nil, errors.New("node benchmark: give a model or a partition set, not both")
	}
	var cutSizes []int64
	if o.Analysis != nil {
		cutSizes = CutSizes(o.Analysis, nil)
	}
	if o.Analysis != nil || o.Partitions != nil {
		var p *profile.Profile
		var err error
		if o.Partitions != nil {
			var man *slice.Manifest
			p, man, err = MeasurePartitions(ctx, *o.Partitions, o.Profile)
			if err == nil {
				cutSizes = manifestCutSizes(man)
			}
		} else {
			p, err = profile.Measure(ctx, o.Analysis, o.Profile)
		}
		if err != nil {
			return nil, fmt.Errorf("node benchmark: %w", err)
		}
		nb.Model = p.Model
		nb.ModelSeconds = &p.TotalSeconds
		want := map[int]bool{}
		for _, u := range o.Units {
			want[u] = true
		}
		for _, u := range p.Units {
			if len(want) == 0 || want[u.Index] {
				nb.Units = append(nb.Units, u)
			}
		}
	}
	sizes := o.Sizes
	if len(sizes) == 0 {
		sizes = defaultSizes(cutSizes)
	}
	if o.PeerWait <= 0 {
		o.PeerWait = 30 * time.Second
	}
	for _, peer := range o.Peers {
		var lb LinkBenchmark
		var err error
		deadline := time.Now().Add(o.PeerWait)
		for {
			lb, err = MeasureLink(ctx, peer, sizes, o.Repeats)
			if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
			}
		}
		if err != nil {
			lb = LinkBenchmark{Peer: peer, Error: err.Error()}
		}
		nb.Links = append(nb.Links, lb)
	}
	return nb, nil
}

// manifestCutSizes are the distinct sizes of the manifest's cuts, sorted.
func manifestCutSizes(m *slice.Manifest) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, c := range m.Cuts {
		if !seen[c.Bytes] {
			seen[c.Bytes] = true
			out = append(out, c.Bytes)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// defaultSizes picks up to 8 of the model's sorted cut sizes plus 1 KiB (or
// 1 KiB..16 MiB without a model).
func defaultSizes(all []int64) []int64 {
	if len(all) == 0 {
		return []int64{1 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20}
	}
	out := []int64{1 << 10}
	const most = 8
	for i := 0; i < most && len(all) > 0; i++ {
		s := all[i*(len(all)-1)/max(most-1, 1)]
		if s > out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// HostMemoryBytes reads MemTotal from /proc/meminfo (0 if unavailable).
func HostMemoryBytes() int64 { return ProcKiB("/proc/meminfo", "MemTotal:") }

// ProcKiB reads a "Key: N kB" line of a /proc file such as /proc/meminfo
// or /proc/self/status, in bytes (0 if unavailable).
func ProcKiB(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == key {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
