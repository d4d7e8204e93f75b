package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// setMemoryLimit gives the Go runtime a soft memory limit of 90% of the
// cgroup's memory.max when GOMEMLIMIT is not set, so that the collector
// works harder near the cap instead of letting the kernel kill the process
// (a 1 GiB edge node benchmarking a model chunk by chunk). It returns the
// limit it set.
func setMemoryLimit() (int64, bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	limit, ok := cgroupMemoryMax()
	if !ok {
		return 0, false
	}
	limit = limit / 10 * 9
	debug.SetMemoryLimit(limit)
	return limit, true
}

// cgroupMemoryMax is the smallest memory limit of this process's cgroup and
// its ancestors, cgroup v2 (memory.max) or v1 (memory.limit_in_bytes,
// hierarchical_memory_limit).
// Inside a container its cgroup is usually the root of the mounted
// hierarchy, which is read too.
func cgroupMemoryMax() (int64, bool) {
	files := []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				for dir := parts[2]; dir != "/" && dir != "." && dir != ""; dir = filepath.Dir(dir) {
					files = append(files, filepath.Join("/sys/fs/cgroup", dir, "memory.max"))
				}
			case slices.Contains(strings.Split(parts[1], ","), "memory"):
				for dir := parts[2]; dir != "/" && dir != "." && dir != ""; dir = filepath.Dir(dir) {
					files = append(files, filepath.Join("/sys/fs/cgroup/memory", dir, "memory.limit_in_bytes"))
				}
			}
		}
	}
	var best int64
	// cgroup v1 reports the limit of the nearest limited ancestor too,
	// which a container does not see in its own hierarchy (a service
	// task under a node capped by its cgroup).
	if b, err := os.ReadFile("/sys/fs/cgroup/memory/memory.stat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "hierarchical_memory_limit "); ok {
				best, _ = parseMemoryMax(v)
			}
		}
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if v, ok := parseMemoryMax(string(b)); ok && (best == 0 || v < best) {
				best = v
			}
		}
	}
	return best, best > 0
}

// parseMemoryMax reads a cgroup memory limit: "max" (v2) or a huge v1
// value means no limit.
func parseMemoryMax(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v >= 1<<60 {
		return 0, false
	}
	return v, true
}

// peakRSS is the process's peak resident set (VmHWM), 0 if unknown.
func peakRSS() int64 { return chain.ProcKiB("/proc/self/status", "VmHWM:") }

// tightenGC lowers the collector's growth target once a partition's weights
// are loaded: with the default GOGC=100 the heap may grow to twice the live
// heap before a collection, so a server holding 1.1 GB of weights (VGG16,
// decoded and packed) would let each inference's garbage push it towards
// 2.2 GB, past its node's memory when another partition shares the node.
// The headroom becomes max(256 MiB, a quarter of the live heap), never more
// than GOGC=100 allows. It returns the GC percent set (0: left alone).
func tightenGC() int {
	if os.Getenv("GOGC") != "" {
		return 0
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	percent := gcPercentFor(int64(ms.HeapAlloc))
	if percent < 100 {
		debug.SetGCPercent(percent)
		return percent
	}
	return 0
}

// gcPercentFor is the GC percent giving a live heap of live bytes a
// headroom of max(256 MiB, live/4), within [25, 100].
func gcPercentFor(live int64) int {
	if live <= 0 {
		return 100
	}
	headroom := max(256<<20, live/4)
	return int(min(max(headroom*100/live, 25), 100))
}

// warmUp runs the partition's program once on sample inputs, so that its
// kernels allocate the temporary buffers they keep between runs
// (engine.Program.ScratchBytes), and raises the memory limit the
// controller set in GOMEMLIMIT by that much. The controller's limit is the
// planner's reservation, which counts weights and activations but not a
// kernel's scratch: below the live heap, the collector runs without pause
// (VGG-16's first convolutions, 116 MB of im2col scratch, served at 1.8x
// their benchmarked time). It returns the scratch bytes and the limit set
// (0 when GOMEMLIMIT is not set and nothing was raised).
//
// Sample inputs need not be valid for every partition (an integer tensor a
// later partition reads as a shape or as indices): a failed warm-up is
// reported and the partition serves with the controller's limit.
func warmUp(ctx context.Context, stage slice.Stage) (scratch, limit int64, err error) {
	feeds := make(map[string]*tensor.Tensor, len(stage.Partition.Inputs))
	for i, v := range stage.Partition.Inputs {
		feeds[v.Name] = profile.SampleInput(v.DType, v.Shape, uint64(i))
	}
	defer func() {
		if r := recover(); r != nil {
			scratch, limit, err = 0, 0, fmt.Errorf("warm-up run of partition %d panicked: %v", stage.Partition.Index, r)
		}
	}()
	if _, err := stage.Program.Run(ctx, feeds); err != nil {
		return 0, 0, fmt.Errorf("warm-up run of partition %d: %w", stage.Partition.Index, err)
	}
	scratch = stage.Program.ScratchBytes()
	if os.Getenv("GOMEMLIMIT") == "" || scratch == 0 {
		return scratch, 0, nil
	}
	limit = debug.SetMemoryLimit(-1) + scratch
	debug.SetMemoryLimit(limit)
	return scratch, limit, nil
}
