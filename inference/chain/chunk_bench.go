package chain

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// PartitionSet locates a benchmark partition set: a model cut into chunks
// small enough to load one at a time.
type PartitionSet struct {
	// Manifest is the manifest's path or URL; partition files are found
	// next to it unless the manifest names them by URL or absolute path.
	Manifest string
	// ManifestSHA256, optional, is the manifest's expected digest.
	ManifestSHA256 string
	// MaxBytes bounds a partition file (0: DefaultMaxArtifactBytes).
	MaxBytes int64
	Client   *http.Client
	// Loaded, if set, is called after each partition has been measured
	// and released (for progress logs).
	Loaded func(p slice.ManifestPartition)
}

// MeasurePartitions profiles a model's units one partition of the set at a
// time: fetch and verify the partition, compile it, run it Warmup+Repeats
// times and attribute each node's time to the unit of the manifest that
// lists one of the node's outputs, then release it before the next. The
// first partition is fed deterministic sample inputs (profile.SampleInput,
// as profile.Measure does) and each later one the tensors its predecessor
// produced, so every unit sees the values it would in a whole-model run.
// At most one partition's weights are in memory at once.
//
// The result covers every unit of the manifest, with the manifest's names,
// weight and output bytes; TotalSeconds sums the partitions' run times.
func MeasurePartitions(ctx context.Context, set PartitionSet, opts profile.Options) (*profile.Profile, *slice.Manifest, error) {
	man, err := FetchManifest(ctx, set.Client, set.Manifest, set.ManifestSHA256)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCoverage(man); err != nil {
		return nil, nil, fmt.Errorf("manifest %s: %w", set.Manifest, err)
	}
	unitOf := man.UnitOfTensor()
	n := len(man.Units)
	seconds := make([][]float64, n)
	peak := make([]int64, n)
	var totals []float64
	carried := map[string]*tensor.Tensor{}
	for i, v := range man.Inputs {
		carried[v.Name] = profile.SampleInput(v.DType, v.Shape, uint64(i))
	}
	for _, p := range man.Partitions {
		runs, next, err := measurePartition(ctx, set, p, unitOf, carried, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("benchmark partition %d (units %d..%d) of %s: %w", p.Index, p.Start, p.End-1, set.Manifest, err)
		}
		for u := p.Start; u < p.End; u++ {
			seconds[u], peak[u] = runs.Seconds[u], runs.Peak[u]
		}
		if totals == nil {
			totals = make([]float64, len(runs.Totals))
		}
		for r, s := range runs.Totals {
			totals[r] += s
		}
		carried = next
		// Give the partition's weights (decoded and packed) back before
		// the next one is fetched.
		runs = nil
		runtime.GC()
		debug.FreeOSMemory()
		if set.Loaded != nil {
			set.Loaded(p)
		}
	}
	host, _ := os.Hostname()
	o := opts.WithDefaults()
	prof := &profile.Profile{Format: profile.Format, Model: man.Model, Host: host, CPUs: runtime.NumCPU(),
		Warmup: o.Warmup, Repeats: o.Repeats, TotalSeconds: profile.Summarize(totals)}
	for _, u := range man.Units {
		prof.Units = append(prof.Units, profile.Unit{Index: u.Index, Name: u.Name, Ops: u.Ops,
			Seconds: profile.Summarize(seconds[u.Index]), WeightBytes: u.WeightBytes, OutputBytes: u.OutputBytes,
			PeakWorkingBytes: peak[u.Index]})
	}
	return prof, man, nil
}

// checkCoverage checks that the units are numbered 0..n-1, list their
// tensors, and that the partitions cover them in order without gaps.
func checkCoverage(man *slice.Manifest) error {
	for i, u := range man.Units {
		if u.Index != i {
			return fmt.Errorf("unit %d is listed at position %d", u.Index, i)
		}
		if len(u.Tensors) == 0 {
			return fmt.Errorf("unit %d (%s) lists no tensors: the partition set was written by a papdl too old for chunked benchmarks", i, u.Name)
		}
	}
	next := 0
	for _, p := range man.Partitions {
		if p.Start != next || p.End <= p.Start || p.End > len(man.Units) {
			return fmt.Errorf("partition %d holds units [%d, %d), expected to start at unit %d of %d", p.Index, p.Start, p.End, next, len(man.Units))
		}
		next = p.End
	}
	if next != len(man.Units) {
		return fmt.Errorf("the partitions cover units 0..%d of %d", next-1, len(man.Units))
	}
	return nil
}

// measurePartition loads, verifies, compiles and runs one partition; it
// returns the runs and the tensors crossing the cut after it.
func measurePartition(ctx context.Context, set PartitionSet, p slice.ManifestPartition, unitOf map[string]int,
	carried map[string]*tensor.Tensor, opts profile.Options) (*profile.Runs, map[string]*tensor.Tensor, error) {
	prog, consts, err := loadPartition(ctx, set, p)
	if err != nil {
		return nil, nil, err
	}
	feeds := make(map[string]*tensor.Tensor, len(p.Inputs))
	for i, v := range p.Inputs {
		t, ok := carried[v.Name]
		if !ok {
			t = profile.SampleInput(v.DType, v.Shape, uint64(i))
		}
		feeds[v.Name] = t
	}
	var stray error
	attr := profile.Attribution{Units: p.End, IsConstant: func(name string) bool { return consts[name] },
		UnitOf: func(nd *onnx.Node) (int, bool) {
			for _, o := range nd.Outputs {
				if u, ok := unitOf[o]; ok && o != "" {
					if u < p.Start || u >= p.End {
						stray = fmt.Errorf("node %s belongs to unit %d, outside the partition's units %d..%d", nd.Label(), u, p.Start, p.End-1)
						return 0, false
					}
					return u, true
				}
			}
			stray = fmt.Errorf("node %s produces no tensor of the manifest's units", nd.Label())
			return 0, false
		}}
	runs, err := profile.Observe(ctx, prog, feeds, attr, opts)
	if err != nil {
		return nil, nil, err
	}
	if stray != nil {
		return nil, nil, stray
	}
	next := runs.Outputs
	runs.Outputs = nil
	for _, v := range p.Forward {
		t, ok := carried[v.Name]
		if !ok {
			return nil, nil, fmt.Errorf("forwarded tensor %q is missing", v.Name)
		}
		next[v.Name] = t
	}
	return runs, next, nil
}

// loadPartition fetches, verifies and compiles a partition, dropping the
// file's bytes before compiling so that at most the decoded and the packed
// weights are held together. consts are the partition's initializers.
func loadPartition(ctx context.Context, set PartitionSet, p slice.ManifestPartition) (*engine.Program, map[string]bool, error) {
	loc, err := resolve(set.Manifest, p.File)
	if err != nil {
		return nil, nil, err
	}
	data, err := Fetch(ctx, set.Client, loc, set.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	m, err := slice.DecodeVerified(data, p.SHA256, loc)
	if err != nil {
		return nil, nil, err
	}
	// data is dead here (the decoder copies out of it): collect it before
	// compiling.
	runtime.GC()
	consts := make(map[string]bool, len(m.Graph.Initializers))
	for _, init := range m.Graph.Initializers {
		consts[init.Name] = true
	}
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("compile %s: %w", loc, err)
	}
	return prog, consts, nil
}
