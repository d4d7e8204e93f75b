package distributedmodel

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// secondBenchmark answers a node's second benchmark with unit time sec and
// the given noise (or fails).
type secondBenchmark struct {
	runtime.Runtime
	sec, noise float64
	fail       bool
	asked      []string
	calls      int
}

func (b *secondBenchmark) Benchmark(_ context.Context, req runtime.BenchmarkRequest) (*runtime.BenchmarkResult, error) {
	b.calls++
	if b.fail {
		return nil, errors.New("node went away")
	}
	prof := &clusterprofile.ClusterProfile{}
	for _, n := range req.Nodes {
		b.asked = append(b.asked, n.ID)
		noise := b.noise
		prof.Nodes = append(prof.Nodes, clusterprofile.Node{ID: n.ID, Noise: &noise, Units: []clusterprofile.UnitMeasurement{{Seconds: b.sec}}})
	}
	return &runtime.BenchmarkResult{Profile: prof}, nil
}

func TestRemeasureNoisy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		noise     float64 // of the first measurement
		second    secondBenchmark
		wantAsked int
		wantSec   float64
		wantSaid  string // in a progress message
	}{
		{name: "calm: measured once", noise: 0.05, second: secondBenchmark{sec: 2, noise: 0.01}, wantSec: 1},
		{name: "noisy, calmer second: kept", noise: 0.30, second: secondBenchmark{sec: 2, noise: 0.05}, wantAsked: 1, wantSec: 2},
		{name: "noisy, noisier second: first kept", noise: 0.30, second: secondBenchmark{sec: 2, noise: 0.40}, wantAsked: 1, wantSec: 1},
		{name: "second fails: first kept", noise: 0.30, second: secondBenchmark{fail: true}, wantAsked: 1, wantSec: 1,
			wantSaid: "measuring again failed, keeping the first measurement: node went away"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noise := tc.noise
			prof := &clusterprofile.ClusterProfile{Nodes: []clusterprofile.Node{{ID: "n1", Hostname: "edge", Noise: &noise,
				Units: []clusterprofile.UnitMeasurement{{Seconds: 1}}}}}
			rt := tc.second
			var said []string
			progress := func(_, msg string) { said = append(said, msg) }
			remeasureNoisy(context.Background(), &rt, runtime.BenchmarkRequest{Nodes: []runtime.Node{{ID: "n0"}, {ID: "n1"}},
				Progress: progress}, prof)
			if tc.wantSaid != "" && !slices.ContainsFunc(said, func(m string) bool { return strings.Contains(m, tc.wantSaid) }) {
				t.Errorf("progress said %q, want a message with %q", said, tc.wantSaid)
			}
			if rt.calls != tc.wantAsked || len(rt.asked) > 1 || (len(rt.asked) == 1 && rt.asked[0] != "n1") {
				t.Errorf("benchmarked again %v in %d call(s), want n1 in %d", rt.asked, rt.calls, tc.wantAsked)
			}
			if got := prof.Nodes[0].Units[0].Seconds; got != tc.wantSec {
				t.Errorf("unit time %v, want %v", got, tc.wantSec)
			}
		})
	}
}

// TestRemeasureNoisyTogether: two noisy nodes are measured again in one
// benchmark, a calm one not at all.
func TestRemeasureNoisyTogether(t *testing.T) {
	noisy, calm := 0.3, 0.02
	prof := &clusterprofile.ClusterProfile{}
	for _, n := range []struct {
		id    string
		noise *float64
	}{{"a", &noisy}, {"b", &calm}, {"c", &noisy}} {
		prof.Nodes = append(prof.Nodes, clusterprofile.Node{ID: n.id, Hostname: n.id, Noise: n.noise, Units: []clusterprofile.UnitMeasurement{{Seconds: 1}}})
	}
	rt := &secondBenchmark{sec: 2, noise: 0.05}
	remeasureNoisy(context.Background(), rt, runtime.BenchmarkRequest{Nodes: []runtime.Node{{ID: "a"}, {ID: "b"}, {ID: "c"}}}, prof)
	if rt.calls != 1 || len(rt.asked) != 2 || rt.asked[0] != "a" || rt.asked[1] != "c" {
		t.Fatalf("benchmarked again %v in %d call(s), want a and c in one", rt.asked, rt.calls)
	}
	for i, want := range []float64{2, 1, 2} {
		if got := prof.Nodes[i].Units[0].Seconds; got != want {
			t.Errorf("node %s: unit time %v, want %v", prof.Nodes[i].ID, got, want)
		}
	}
}
