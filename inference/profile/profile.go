package profile

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// Format identifies the JSON schema of a Profile.
const Format = "papdl.io/unit-profile/v1"

// Profile is the measurement of one model's units on one machine.
type Profile struct {
	Format  string `json:"format"`
	Model   string `json:"model"`
	Host    string `json:"host"`
	CPUs    int    `json:"cpus"`
	Warmup  int    `json:"warmup"`
	Repeats int    `json:"repeats"`
	// TotalSeconds is the time of a whole run (units plus engine overhead).
	TotalSeconds Stats  `json:"totalSeconds"`
	Units        []Unit `json:"units"`
}

// Unit is one unit's measurement. Times are in seconds, sizes in bytes.
type Unit struct {
	Index       int      `json:"index"`
	Name        string   `json:"name"`
	Ops         []string `json:"ops"`
	Seconds     Stats    `json:"seconds"`
	WeightBytes int64    `json:"weightBytes"`
	OutputBytes int64    `json:"outputBytes"`
	// PeakWorkingBytes is the largest sum, over the unit's nodes, of the
	// bytes of a node's non-constant inputs and its outputs: the
	// activations the unit must hold at once (kernel scratch excluded).
	PeakWorkingBytes int64 `json:"peakWorkingBytes"`
}

// Stats summarises samples: median, 10th and 90th percentiles, min, max.
type Stats struct {
	Median float64 `json:"median"`
	P10    float64 `json:"p10"`
	P90    float64 `json:"p90"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Options set the number of runs.
type Options struct {
	Warmup  int // runs discarded first (at least, and by default, minWarmup)
	Repeats int // measured runs (default 10)
	// Progress, when set, is called after each run.
	Progress func(done, total int)
}

// Measure profiles the units of a, running the whole folded model
// Warmup+Repeats times on deterministic pseudo-random inputs.
func Measure(ctx context.Context, a *slice.Analysis, opts Options) (*Profile, error) {
	opts = opts.WithDefaults()
	prog, err := engine.Compile(a.Model, engine.Options{})
	if err != nil {
		return nil, err
	}
	unitOf := map[*onnx.Node]int{}
	for _, u := range a.Units {
		for _, n := range u.Nodes {
			unitOf[n] = u.Index
		}
	}
	feeds := map[string]*tensor.Tensor{}
	for i, v := range a.Inputs {
		feeds[v.Name] = SampleInput(v.DType, v.Shape, uint64(i))
	}
	host, _ := os.Hostname()
	p := &Profile{Format: Format, Model: a.Model.Graph.Name, Host: host, CPUs: runtime.NumCPU(),
		Warmup: opts.Warmup, Repeats: opts.Repeats}
	runs, err := Observe(ctx, prog, feeds, Attribution{Units: len(a.Units),
		UnitOf:     func(n *onnx.Node) (int, bool) { u, ok := unitOf[n]; return u, ok },
		IsConstant: a.IsConstant}, opts)
	if err != nil {
		return nil, err
	}
	p.TotalSeconds = Summarize(runs.Totals)
	for _, u := range a.Units {
		p.Units = append(p.Units, Unit{Index: u.Index, Name: u.Name, Ops: u.OpTypes(),
			Seconds: Summarize(runs.Seconds[u.Index]), WeightBytes: u.WeightBytes, OutputBytes: u.OutputBytes,
			PeakWorkingBytes: runs.Peak[u.Index]})
	}
	return p, nil
}

// WithDefaults returns o with its defaults filled in: 10 repeats, and 2
// warm-up runs when o asks for fewer (minWarmup).
func (o Options) WithDefaults() Options {
	o.Warmup = max(o.Warmup, minWarmup)
	if o.Repeats <= 0 {
		o.Repeats = 10
	}
	return o
}

// Warm-up: at least minWarmup runs, whatever Options.Warmup says, and
// beyond Options.Warmup a run more than warmingRatio faster than the one
// before it is followed by another, at most maxExtraWarmup more.
//
// minWarmup: the first two fused runs of a fresh process fault in its
// heap and take about twice the steady time (ResNet-18 on 2 cores: 70 and
// 61-67 ms, then 30-40 ms from the third run on, `benchengine -time 12
// -each`). The second is often not 10% faster than the first, so one
// warm-up run and the ratio rule alone timed the second run as steady,
// and the swarm end-to-end test predicted twice what was served.
const (
	minWarmup      = 2
	warmingRatio   = 0.9
	maxExtraWarmup = 8
)

// warmup decides, run after run, whether a run is still warm-up (not
// timed) or measured.
type warmup struct {
	want            int // warm-up runs asked for (Options.WithDefaults)
	warmed          int
	measuring       bool
	lastWarmSeconds float64
}

func newWarmup(want int) *warmup {
	return &warmup{want: want, lastWarmSeconds: math.Inf(1)}
}

// measure reports whether a run that took seconds is measured; once one
// is, every later run is too.
func (w *warmup) measure(seconds float64) bool {
	switch {
	case w.measuring:
	case w.warmed < w.want || (seconds < w.lastWarmSeconds*warmingRatio && w.warmed < w.want+maxExtraWarmup):
		w.warmed, w.lastWarmSeconds = w.warmed+1, seconds
		return false
	default:
		w.measuring = true
	}
	return true
}

// Attribution tells Observe which unit an executed node belongs to and
// which tensors are constants (not working memory).
type Attribution struct {
	// Units is the number of units: indices are 0..Units-1.
	Units int
	// UnitOf returns the unit of a node (false: not counted).
	UnitOf     func(*onnx.Node) (int, bool)
	IsConstant func(name string) bool
}

// Runs are the measurements of Observe: per unit, the seconds of each
// measured run (units no node was attributed to have none) and the peak
// working bytes; the measured runs' total seconds; the last run's outputs.
type Runs struct {
	Seconds [][]float64
	Peak    []int64
	Totals  []float64
	Outputs map[string]*tensor.Tensor
}

// Observe runs prog on feeds once node by node, then Warmup (or more, see
// warmingRatio) and Repeats times as a deployment does, attributing each
// executed step's time and working bytes (its non-constant inputs plus its
// outputs) to a unit: a fused step's time is shared among its nodes'
// units as the nodes' times were in the first run.
func Observe(ctx context.Context, prog *engine.Program, feeds map[string]*tensor.Tensor, attr Attribution, opts Options) (*Runs, error) {
	opts = opts.WithDefaults()
	res := &Runs{Seconds: make([][]float64, attr.Units), Peak: make([]int64, attr.Units)}
	perUnit := make([]float64, attr.Units)
	touched := make([]bool, attr.Units)
	// The first run goes node by node: its times weigh how a fused step's
	// time is shared among its nodes' units in the runs after it, which run
	// as a deployment does (fused). Then come the warm-up runs (see
	// warmup and minWarmup).
	nodeSeconds := map[*onnx.Node]float64{}
	var badUnit error
	attribute := func(n *onnx.Node, sec float64) {
		u, ok := attr.UnitOf(n)
		if !ok {
			return
		}
		if u < 0 || u >= attr.Units {
			badUnit = fmt.Errorf("node %s attributed to unit %d of %d", n.Label(), u, attr.Units)
			return
		}
		touched[u] = true
		perUnit[u] += sec
	}
	measured, warm := 0, newWarmup(opts.Warmup)
	for r := 0; measured < opts.Repeats; r++ {
		clear(perUnit)
		start := time.Now()
		run, observe := prog.RunTimed, func(o engine.Observation) {
			if o.Fused == nil {
				attribute(o.Node, o.Duration.Seconds())
				return
			}
			weight := 0.0
			for _, n := range o.Fused {
				weight += nodeSeconds[n]
			}
			for _, n := range o.Fused {
				share := 1 / float64(len(o.Fused))
				if weight > 0 {
					share = nodeSeconds[n] / weight
				}
				attribute(n, o.Duration.Seconds()*share)
			}
		}
		if r == 0 {
			run, observe = prog.RunObserved, func(o engine.Observation) {
				nodeSeconds[o.Node] = o.Duration.Seconds()
				attribute(o.Node, o.Duration.Seconds())
				// Working bytes node by node: what any cut of the model
				// holds at once, fused or not.
				if u, ok := attr.UnitOf(o.Node); ok && u >= 0 && u < attr.Units {
					res.Peak[u] = max(res.Peak[u], workingBytes(o, attr.IsConstant))
				}
			}
		}
		outs, err := run(ctx, feeds, observe)
		if err != nil {
			return nil, fmt.Errorf("profile run %d: %w", r+1, err)
		}
		if badUnit != nil {
			return nil, fmt.Errorf("profile run %d: %w", r+1, badUnit)
		}
		took := time.Since(start).Seconds()
		if r > 0 && warm.measure(took) {
			measured++
			res.Totals = append(res.Totals, took)
			for u, s := range perUnit {
				if touched[u] {
					res.Seconds[u] = append(res.Seconds[u], s)
				}
			}
		}
		res.Outputs = outs
		if opts.Progress != nil {
			opts.Progress(r+1, 1+warm.warmed+opts.Repeats)
		}
	}
	return res, nil
}

// workingBytes is the size of an executed node's runtime tensors: its
// non-constant inputs and its outputs.
func workingBytes(o engine.Observation, isConstant func(string) bool) int64 {
	var work int64
	for i, in := range o.Inputs {
		if in != nil && i < len(o.Node.Inputs) && (isConstant == nil || !isConstant(o.Node.Inputs[i])) {
			work += in.ByteSize()
		}
	}
	for _, out := range o.Outputs {
		if out != nil {
			work += out.ByteSize()
		}
	}
	return work
}

// Summarize computes Stats of samples (all zero for none).
func Summarize(samples []float64) Stats {
	if len(samples) == 0 {
		return Stats{}
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	return Stats{Median: quantile(s, 0.5), P10: quantile(s, 0.1), P90: quantile(s, 0.9), Min: s[0], Max: s[len(s)-1]}
}

// quantile interpolates linearly between the sorted samples.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[hi]*frac
}

// SampleInput returns a deterministic pseudo-random tensor (floats in
// [-1, 1), integers in [0, 10), bools alternating) for timing runs.
func SampleInput(dt tensor.DType, shape []int, seed uint64) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	x := seed*0x9E3779B97F4A7C15 + 1
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(next()>>40)/float32(1<<23) - 1
		}
	case []float64:
		for i := range d {
			d[i] = float64(next()>>11)/float64(1<<52) - 1
		}
	case []int64:
		for i := range d {
			d[i] = int64(next() % 10)
		}
	case []int32:
		for i := range d {
			d[i] = int32(next() % 10)
		}
	case []bool:
		for i := range d {
			d[i] = i%2 == 0
		}
	}
	return t
}
