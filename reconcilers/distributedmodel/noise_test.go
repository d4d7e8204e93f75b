package distributedmodel

import (
	"context"
	"errors"
	"testing"

	"github.com/papdl/papdl/reconcilers/profile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// secondBenchmark answers a node's second benchmark with unit time sec and
// the given noise (or fails).
type secondBenchmark struct {
	runtime.Runtime
	sec, noise float64
	fail       bool
	asked      []string
}

func (b *secondBenchmark) Benchmark(_ context.Context, req runtime.BenchmarkRequest) (*runtime.BenchmarkResult, error) {
	for _, n := range req.Nodes {
		b.asked = append(b.asked, n.ID)
	}
	if b.fail {
		return nil, errors.New("node went away")
	}
	noise := b.noise
	n := profile.Node{ID: req.Nodes[0].ID, Noise: &noise, Units: []profile.UnitMeasurement{{Seconds: b.sec}}}
	return &runtime.BenchmarkResult{Profile: &profile.ClusterProfile{Nodes: []profile.Node{n}}}, nil
}

func TestRemeasureNoisy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		noise     float64 // of the first measurement
		second    secondBenchmark
		wantAsked int
		wantSec   float64
	}{
		{name: "calm: measured once", noise: 0.05, second: secondBenchmark{sec: 2, noise: 0.01}, wantSec: 1},
		{name: "noisy, calmer second: kept", noise: 0.30, second: secondBenchmark{sec: 2, noise: 0.05}, wantAsked: 1, wantSec: 2},
		{name: "noisy, noisier second: first kept", noise: 0.30, second: secondBenchmark{sec: 2, noise: 0.40}, wantAsked: 1, wantSec: 1},
		{name: "second fails: first kept", noise: 0.30, second: secondBenchmark{fail: true}, wantAsked: 1, wantSec: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noise := tc.noise
			prof := &profile.ClusterProfile{Nodes: []profile.Node{{ID: "n1", Hostname: "edge", Noise: &noise,
				Units: []profile.UnitMeasurement{{Seconds: 1}}}}}
			rt := tc.second
			remeasureNoisy(context.Background(), &rt, runtime.BenchmarkRequest{Nodes: []runtime.Node{{ID: "n0"}, {ID: "n1"}}}, prof)
			if len(rt.asked) != tc.wantAsked || (tc.wantAsked > 0 && rt.asked[0] != "n1") {
				t.Errorf("benchmarked again %v, want n1 %d time(s)", rt.asked, tc.wantAsked)
			}
			if got := prof.Nodes[0].Units[0].Seconds; got != tc.wantSec {
				t.Errorf("unit time %v, want %v", got, tc.wantSec)
			}
		})
	}
}
