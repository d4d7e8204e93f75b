package reconcilers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a reconcile, the result label of
// papdl_controller_reconciles_total.
const (
	OutcomeSuccess      = "success"
	OutcomeRequeueAfter = "requeue_after"
	OutcomeError        = "error"
	OutcomeTerminal     = "terminal"
)

// outcome classifies a reconcile's return.
func outcome(res Result, err error) string {
	switch {
	case err != nil && IsTerminal(err):
		return OutcomeTerminal
	case err != nil:
		return OutcomeError
	case res.RequeueAfter > 0:
		return OutcomeRequeueAfter
	}
	return OutcomeSuccess
}

// Metrics are a controller's Prometheus metrics, in a registry of their
// own (Gatherer serves them): reconciles by outcome, their durations, and
// the queue's depth.
type Metrics struct {
	registry   *prometheus.Registry
	reconciles *prometheus.CounterVec
	duration   *prometheus.HistogramVec
}

// NewMetrics makes the metrics of the named controller over its queue.
func NewMetrics(controller string, q *Queue) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "papdl_controller_reconciles_total",
			Help: "Reconciles by controller and outcome (success, requeue_after, error, terminal).",
		}, []string{"controller", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "papdl_controller_reconcile_duration_seconds",
			Help: "How long reconciles take (slicing and benchmarking take minutes).",
			// 5ms to about 22 minutes.
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"controller"}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "papdl_controller_queue_depth",
		Help:        "Names waiting for a worker.",
		ConstLabels: prometheus.Labels{"controller": controller},
	}, func() float64 { return float64(q.Len()) })
	m.registry.MustRegister(m.reconciles, m.duration, depth)
	// Every outcome is reported from the start, at 0.
	for _, o := range []string{OutcomeSuccess, OutcomeRequeueAfter, OutcomeError, OutcomeTerminal} {
		m.reconciles.WithLabelValues(controller, o)
	}
	return m
}

// Gatherer serves the metrics (apiserver.Options.Gatherers).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }

// observe counts one reconcile; a nil Metrics counts nothing.
func (m *Metrics) observe(controller, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.reconciles.WithLabelValues(controller, outcome).Inc()
	m.duration.WithLabelValues(controller).Observe(took.Seconds())
}
