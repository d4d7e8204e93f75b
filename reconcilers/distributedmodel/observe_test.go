package distributedmodel

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/store"
)

// fakeMetrics serves a gateway's cumulative metrics: every scrape adds
// n requests of the given latency and per-stage compute times.
type fakeMetrics struct {
	mu       sync.Mutex
	requests float64
	latSum   float64
	compSum  []float64
	latency  float64
	compute  []float64
	n        float64
}

func (f *fakeMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests += f.n
	f.latSum += f.n * f.latency
	for i := range f.compute {
		f.compSum[i] += f.n * f.compute[i]
	}
	fmt.Fprintf(w, "# TYPE papdl_gateway_inference_seconds histogram\npapdl_gateway_inference_seconds_sum %g\npapdl_gateway_inference_seconds_count %g\n", f.latSum, f.requests)
	for i := range f.compute {
		fmt.Fprintf(w, "papdl_stage_compute_seconds_sum{stage=\"%d\"} %g\npapdl_stage_compute_seconds_count{stage=\"%d\"} %g\n", i, f.compSum[i], i, f.requests)
		fmt.Fprintf(w, "papdl_stage_queue_seconds_sum{stage=\"%d\"} 0\n", i)
	}
}

func TestObservePredictionsAndDivergence(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMetrics{n: 10, latency: 0.010, compute: []float64{0.002, 0.004}, compSum: make([]float64, 2)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := &session{r: &Reconciler{Store: st, Log: zap.NewNop()}, log: zap.NewNop(), rec: &Record{Name: "m"}, name: "m"}
	predicted := []float64{0.002, 0.004}
	placement := func() *v1alpha1.PlacementStatus {
		pl := &v1alpha1.PlacementStatus{}
		for i := range predicted {
			p := predicted[i]
			pl.Partitions = append(pl.Partitions, v1alpha1.PartitionStatus{Index: int32(i), Node: fmt.Sprintf("id%d", i), Hostname: fmt.Sprintf("node%d", i), PredictedComputeSeconds: &p})
		}
		return pl
	}
	ctx := context.Background()
	const serving = "plan@rev"
	s.observe(ctx, srv.URL, serving, placement()) // first look: no window yet
	pl := placement()
	s.observe(ctx, srv.URL, serving, pl)
	if pl.MeasuredLatencySeconds == nil || *pl.MeasuredLatencySeconds != 0.010 || pl.MeasuredRequests != 10 {
		t.Fatalf("measured latency %v over %d requests, want 10ms over 10", pl.MeasuredLatencySeconds, pl.MeasuredRequests)
	}
	if m := pl.Partitions[1].MeasuredComputeSeconds; m == nil || *m != 0.004 {
		t.Fatalf("partition 1 measured %v, want 4ms", m)
	}
	if x := pl.MeasuredTransferSeconds; x == nil || *x < 0.0039 || *x > 0.0041 {
		t.Fatalf("measured transfer %v, want 4ms (10 - 2 - 4)", x)
	}
	if s.rec.BenchmarkRequested != "" {
		t.Fatal("predictions hold, yet a benchmark was requested")
	}
	// Partition 1 becomes 2x slower than predicted: one window is noise,
	// two in a row ask for a benchmark, once.
	f.mu.Lock()
	f.compute[1], f.latency = 0.008, 0.014
	f.mu.Unlock()
	s.observe(ctx, srv.URL, serving, placement())
	if s.rec.BenchmarkRequested != "" {
		t.Fatal("one divergent window asked for a benchmark")
	}
	s.observe(ctx, srv.URL, serving, placement())
	if !strings.Contains(s.rec.BenchmarkRequested, "partition 1 on node1: measured 8.00 ms, predicted 4.00 ms") {
		t.Fatalf("after two divergent windows: BenchmarkRequested = %q", s.rec.BenchmarkRequested)
	}
	// node1 serves partition 1: the benchmark keeps its traffic's times.
	if got := s.rec.Calibration; len(got) != 1 || math.Abs(got["id1"]-2) > 1e-9 {
		t.Fatalf("calibration %v, want id1 (node1) at 2x", got)
	}
	s.rec.BenchmarkRequested = "" // the benchmark ran
	s.observe(ctx, srv.URL, serving, placement())
	s.observe(ctx, srv.URL, serving, placement())
	if s.rec.BenchmarkRequested != "" {
		t.Fatal("divergence asked for a second benchmark within the hour")
	}
	evs, err := st.Events("m", 0)
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Reason != "PredictionOff" {
		t.Fatalf("events %v, %v: want PredictionOff", evs, err)
	}
}

// TestObserveWindowAcrossAChangeIsNoWindow: a window whose ends saw
// different plans, revisions or profiles mixes the old partitions'
// requests with the new ones' (on nodes busy starting them or
// benchmarking): it measures nothing and does not count toward
// divergence; the window after it does.
func TestObserveWindowAcrossAChangeIsNoWindow(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMetrics{n: 10, latency: 0.010, compute: []float64{0.004}, compSum: make([]float64, 1)}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := &session{r: &Reconciler{Store: st, Log: zap.NewNop()}, log: zap.NewNop(), rec: &Record{Name: "m"}, name: "m"}
	placement := func() *v1alpha1.PlacementStatus {
		p := 0.004
		return &v1alpha1.PlacementStatus{Partitions: []v1alpha1.PartitionStatus{{Node: "id0", Hostname: "node0", PredictedComputeSeconds: &p}}}
	}
	ctx := context.Background()
	for _, step := range []struct {
		serving     string
		compute     float64
		measured    bool // the window has a measurement
		divergences int
	}{
		{"a@1", 0.004, false, 0}, // first look
		{"a@1", 0.004, true, 0},
		{"b@1", 0.012, false, 0}, // new plan: the window spans the change
		{"b@1", 0.012, true, 1},
		{"b@2", 0.012, false, 0}, // new revision: the same
		{"b@2", 0.004, true, 0},
		{"b@2/p2", 0.012, false, 0}, // a benchmark ran in between
	} {
		f.mu.Lock()
		f.compute[0] = step.compute
		f.mu.Unlock()
		pl := placement()
		s.observe(ctx, srv.URL, step.serving, pl)
		if got := pl.MeasuredLatencySeconds != nil; got != step.measured {
			t.Errorf("serving %s: measured %v, want %v", step.serving, got, step.measured)
		}
		if s.rec.DivergentWindows != step.divergences {
			t.Errorf("serving %s: %d divergent windows, want %d", step.serving, s.rec.DivergentWindows, step.divergences)
		}
	}
	if s.rec.BenchmarkRequested != "" {
		t.Errorf("a benchmark was requested: %q", s.rec.BenchmarkRequested)
	}
}
