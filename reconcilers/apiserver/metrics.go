package apiserver

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/store"
)

// modelCollector reports every model's status from the state directory at
// each scrape (kube-state-metrics style): nothing is kept between scrapes.
type modelCollector struct {
	store *store.Store

	condition, generation, observedGeneration, partitions, predicted, measured, models *prometheus.Desc
}

func newModelCollector(st *store.Store) *modelCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("papdl_distributedmodel_"+name, help, labels, nil)
	}
	return &modelCollector{
		store:              st,
		condition:          d("condition", "1 for the status a model's condition has (true, false or unknown), 0 for the others.", "name", "type", "status"),
		generation:         d("generation", "The model's metadata.generation.", "name"),
		observedGeneration: d("observed_generation", "The generation the controller last acted upon.", "name"),
		partitions:         d("partitions", "Partitions of the deployed placement.", "name"),
		predicted:          d("predicted_latency_seconds", "The planner's latency for one request.", "name"),
		measured:           d("measured_latency_seconds", "The gateway's latest measured median latency.", "name"),
		models:             prometheus.NewDesc("papdl_distributedmodels", "Models the controller has state of.", nil, nil),
	}
}

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.condition, c.generation, c.observedGeneration, c.partitions, c.predicted, c.measured, c.models} {
		ch <- d
	}
}

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	recs, err := objects.LoadRecords(c.store, nil)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.models, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.models, prometheus.GaugeValue, float64(len(recs)))
	for _, r := range recs {
		for _, cond := range r.Status.Conditions {
			for _, s := range []v1alpha1.ConditionStatus{v1alpha1.ConditionTrue, v1alpha1.ConditionFalse, v1alpha1.ConditionUnknown} {
				v := 0.0
				if cond.Status == s {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(c.condition, prometheus.GaugeValue, v, r.Name, string(cond.Type), strings.ToLower(string(s)))
			}
		}
		ch <- prometheus.MustNewConstMetric(c.generation, prometheus.GaugeValue, float64(r.Generation), r.Name)
		ch <- prometheus.MustNewConstMetric(c.observedGeneration, prometheus.GaugeValue, float64(r.Status.ObservedGeneration), r.Name)
		if pl := r.Status.Placement; pl != nil {
			ch <- prometheus.MustNewConstMetric(c.partitions, prometheus.GaugeValue, float64(len(pl.Partitions)), r.Name)
			if pl.PredictedLatencySeconds != nil {
				ch <- prometheus.MustNewConstMetric(c.predicted, prometheus.GaugeValue, *pl.PredictedLatencySeconds, r.Name)
			}
		}
		if r.MeasuredLatencySeconds != nil {
			ch <- prometheus.MustNewConstMetric(c.measured, prometheus.GaugeValue, *r.MeasuredLatencySeconds, r.Name)
		}
	}
}

// metrics is the API's registry: the models' status, the API's requests,
// the Go runtime and the process, plus whatever extra gatherers the
// controller passes (its reconcile metrics).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	handler  http.Handler
}

func newMetrics(st *store.Store, extra []prometheus.Gatherer) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "papdl_api_requests_total", Help: "API requests by method and status code.",
		}, []string{"method", "code"}),
	}
	reg.MustRegister(newModelCollector(st), m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gatherers := append(prometheus.Gatherers{reg}, extra...)
	m.handler = promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// instrument counts the requests next serves.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return promhttp.InstrumentHandlerCounter(m.requests, next)
}
