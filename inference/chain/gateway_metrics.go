package chain

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
)

type gatewayMetrics struct {
	requests      *family[counter] // keyed by rendered endpoint and code labels
	errors        *family[counter]
	bytesIn       counter // from the return listener
	bytesOut      counter // to partition 0
	httpIn        counter
	httpOut       counter
	late          counter
	inFlight      gauge
	held          gauge   // requests waiting to be replayed
	replays       counter // requests sent again after the chain broke
	routeSwitches counter
	latency       *histogram
	stageWait     *family[histogram]
	stageCompute  *family[histogram]
}

func newGatewayMetrics() gatewayMetrics {
	c := func() *counter { return &counter{} }
	return gatewayMetrics{
		requests: newFamily("", c), errors: newFamily("reason", c), latency: newHistogram(),
		stageWait: newFamily("stage", newHistogram), stageCompute: newFamily("stage", newHistogram),
	}
}

func (m *gatewayMetrics) observeTimings(ts []Timing) {
	for _, t := range ts {
		st := strconv.Itoa(t.Stage)
		m.stageWait.with(st).observe(t.Wait)
		m.stageCompute.with(st).observe(t.Compute)
	}
}

func (m *gatewayMetrics) request(endpoint string, code int) {
	m.requests.with(fmt.Sprintf("endpoint=%q,code=\"%d\"", endpoint, code)).inc()
}

// WriteMetrics writes the gateway's metrics in the Prometheus text format.
func (g *Gateway) WriteMetrics(w io.Writer) error {
	e := &expo{w: w}
	m := &g.m
	e.counters("papdl_gateway_http_requests_total", "HTTP requests by endpoint and status code.", m.requests)
	e.counters("papdl_gateway_errors_total", "Failed inferences by reason (input, busy, send, timeout, partition, protocol, receive).", m.errors)
	e.gauge("papdl_gateway_in_flight", "Requests inside the chain.", &m.inFlight)
	e.head("papdl_gateway_in_flight_limit", "gauge", "The concurrency bound.")
	e.printf("papdl_gateway_in_flight_limit %d\n", g.cfg.MaxInFlight)
	e.counter("papdl_gateway_chain_sent_bytes_total", "Bytes written to partition 0.", &m.bytesOut)
	e.counter("papdl_gateway_chain_received_bytes_total", "Bytes read from the return listener.", &m.bytesIn)
	e.counter("papdl_gateway_http_received_bytes_total", "Request body bytes read.", &m.httpIn)
	e.counter("papdl_gateway_http_sent_bytes_total", "Response body bytes written.", &m.httpOut)
	e.gauge("papdl_gateway_requests_held", "Requests held for replay while the chain is down (they keep their in-flight slot: new requests wait for one, up to their deadline).", &m.held)
	e.counter("papdl_gateway_replays_total", "Requests sent into the chain again after it broke under them.", &m.replays)
	e.counter("papdl_gateway_late_frames_total", "Frames returned for requests that had already failed or timed out.", &m.late)
	e.histogram("papdl_gateway_inference_seconds", "Successful inference latency through the whole chain.", m.latency)
	e.histograms("papdl_stage_queue_seconds", "Time a request waited in a partition's compute queue, by partition.", m.stageWait)
	e.histograms("papdl_stage_compute_seconds", "Time a partition computed a request, by partition.", m.stageCompute)
	e.counter("papdl_gateway_route_switches_total", "Routes taken after the first (revision changes, re-placements).", &m.routeSwitches)
	if rt := g.current(); rt != nil {
		e.counter("papdl_gateway_first_hop_dials_total", "Connection attempts to partition 0 (of the current route).", &rt.link.dials)
		e.counter("papdl_gateway_first_hop_breaks_total", "Connections to partition 0 lost (of the current route).", &rt.link.breaks)
	}
	return e.err
}

func (g *Gateway) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_ = g.WriteMetrics(w)
}
