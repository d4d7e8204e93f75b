package distributedmodel

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
)

// Predictions are checked in production: every readiness check of a Ready
// model reads the gateway's cumulative metrics, and the requests served
// since the previous check (a window) give the measured latency and each
// partition's measured compute time, shown next to the planner's
// predictions. When a partition's measured time stays more than
// predictionTolerance off the prediction for sustainedWindows windows, an
// event names it and its node, and the cluster is benchmarked again (at most
// once per rebenchmarkEvery); hysteresis then keeps the placement unless
// the new measurements make another one clearly better.
const (
	predictionTolerance = 0.25
	minWindowRequests   = 5
	sustainedWindows    = 2
	rebenchmarkEvery    = time.Hour
	maxMetricsBytes     = 1 << 20
)

// MetricsSnapshot holds a gateway's cumulative counters at one time.
type MetricsSnapshot struct {
	LatencySum   float64         `json:"latencySum"`
	LatencyCount float64         `json:"latencyCount"`
	ComputeSum   map[int]float64 `json:"computeSum,omitempty"`
	ComputeCount map[int]float64 `json:"computeCount,omitempty"`
	QueueSum     map[int]float64 `json:"queueSum,omitempty"`
	// Serving names the plan, revision and profile when the snapshot was
	// taken (see servingKey): a window whose two ends differ spans a
	// change, mixes two plans' stages or ran next to a benchmark.
	Serving string `json:"serving,omitempty"`
}

// servingKey names what a gateway serves and what predicted it: the plan,
// the revision and the profile (a new profile means a benchmark ran on
// the nodes in between).
func servingKey(planKey, revision, profileKey string) string {
	return planKey + "@" + revision + "/" + profileKey
}

// scrapeGateway reads the gateway's /metrics (bounded).
func scrapeGateway(ctx context.Context, endpoint string) (*MetricsSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", endpoint, resp.Status)
	}
	m := &MetricsSnapshot{ComputeSum: map[int]float64{}, ComputeCount: map[int]float64{}, QueueSum: map[int]float64{}}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxMetricsBytes))
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(series, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(series, "{")
		stage := -1
		if rest, ok := strings.CutPrefix(labels, `stage="`); ok {
			if n, err := strconv.Atoi(strings.TrimSuffix(rest, `"}`)); err == nil {
				stage = n
			}
		}
		switch {
		case name == "papdl_gateway_inference_seconds_sum":
			m.LatencySum = v
		case name == "papdl_gateway_inference_seconds_count":
			m.LatencyCount = v
		case name == "papdl_stage_compute_seconds_sum" && stage >= 0:
			m.ComputeSum[stage] = v
		case name == "papdl_stage_compute_seconds_count" && stage >= 0:
			m.ComputeCount[stage] = v
		case name == "papdl_stage_queue_seconds_sum" && stage >= 0:
			m.QueueSum[stage] = v
		}
	}
	return m, sc.Err()
}

// observe fills the placement status's measured values from the window
// since the last snapshot and acts on sustained divergence. serving is
// the servingKey of what the gateway serves now.
func (s *session) observe(ctx context.Context, endpoint, serving string, pl *v1alpha1.PlacementStatus) {
	snap, err := scrapeGateway(ctx, endpoint)
	if err != nil {
		return // metrics are an observation, never a reason to fail
	}
	snap.Serving = serving
	prev := s.rec.Metrics
	s.rec.Metrics = snap
	if prev == nil || snap.LatencyCount < prev.LatencyCount {
		return // first look, or the gateway restarted: no window yet
	}
	if prev.Serving != serving {
		// The window spans a new plan, revision or benchmark: its requests
		// ran on the old partitions, the new ones, or both, on nodes busy
		// starting them or benchmarking. It is no measure of what serves
		// now; the next window is.
		s.rec.DivergentWindows = 0
		return
	}
	n := snap.LatencyCount - prev.LatencyCount
	if n < minWindowRequests {
		return
	}
	lat := (snap.LatencySum - prev.LatencySum) / n
	pl.MeasuredLatencySeconds, pl.MeasuredRequests = &lat, int64(n)
	s.rec.MeasuredLatencySeconds = &lat
	inside := 0.0
	var off []string
	offNodes := map[string]bool{}
	measured, predicted := map[string]float64{}, map[string]float64{}
	for i := range pl.Partitions {
		p := &pl.Partitions[i]
		dc := snap.ComputeCount[i] - prev.ComputeCount[i]
		if dc <= 0 {
			continue
		}
		m := (snap.ComputeSum[i] - prev.ComputeSum[i]) / dc
		p.MeasuredComputeSeconds = &m
		inside += m + (snap.QueueSum[i]-prev.QueueSum[i])/dc
		if pred := p.PredictedComputeSeconds; pred != nil && *pred > 0 {
			measured[p.Node] += m
			predicted[p.Node] += *pred
			if r := m / *pred; r > 1+predictionTolerance || r < 1-predictionTolerance {
				off = append(off, fmt.Sprintf("partition %d on %s: measured %.2f ms, predicted %.2f ms",
					i, p.Hostname, 1e3*m, 1e3**pred))
				offNodes[p.Node] = true
			}
		}
	}
	transfer := max(lat-inside, 0)
	pl.MeasuredTransferSeconds = &transfer
	if len(off) == 0 {
		s.rec.DivergentWindows = 0
		return
	}
	s.rec.DivergentWindows++
	if s.rec.DivergentWindows < sustainedWindows {
		return
	}
	msg := strings.Join(off, "; ")
	if last := s.rec.PredictionBenchmarkAt; last != nil && s.r.now().Sub(*last) < rebenchmarkEvery {
		s.event(true, "PredictionOff", "%s (more than %.0f%% off; benchmarked again %s ago)", msg, 100*predictionTolerance,
			s.r.now().Sub(*last).Round(time.Second))
		return
	}
	now := s.r.now()
	s.rec.PredictionBenchmarkAt = &now
	s.rec.BenchmarkRequested = "measured compute times differ from the profile by more than 25%: " + msg
	s.rec.DivergentWindows = 0
	// The diverging nodes serve this model: a benchmark there would time
	// the units against the model's own traffic. Their times come from the
	// traffic instead (see calibrate).
	s.rec.Calibration = map[string]float64{}
	for node := range offNodes {
		s.rec.Calibration[node] = measured[node] / predicted[node]
	}
	s.event(true, "PredictionOff", "%s: benchmarking the cluster again", msg)
}
