package chain

import (
	"io"
	"net/http"
)

type serverMetrics struct {
	frames   *family[counter]
	errors   *family[counter]
	bytesIn  counter
	bytesOut counter
	inDepth  gauge
	outDepth gauge
	expired  counter
	compute  *histogram
	send     *histogram
}

func newServerMetrics() serverMetrics {
	return serverMetrics{
		frames:  newFamily("kind", func() *counter { return &counter{} }),
		errors:  newFamily("where", func() *counter { return &counter{} }),
		compute: newHistogram(), send: newHistogram(),
	}
}

func (m *serverMetrics) queueDepth(in bool) *gauge {
	if in {
		return &m.inDepth
	}
	return &m.outDepth
}

// WriteMetrics writes the server's metrics in the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) error {
	e := &expo{w: w}
	m := &s.m
	e.counters("papdl_partition_frames_received_total", "Frames received from upstream, by kind.", m.frames)
	e.counters("papdl_partition_errors_total", "Failures, by where they happened (receive, compute, send).", m.errors)
	e.counter("papdl_partition_received_bytes_total", "Bytes read from upstream connections.", &m.bytesIn)
	e.counter("papdl_partition_sent_bytes_total", "Bytes written downstream.", &m.bytesOut)
	e.counter("papdl_partition_expired_total", "Requests dropped because their deadline passed before compute.", &m.expired)
	e.gauge("papdl_partition_compute_queue_depth", "Requests received and waiting for compute.", &m.inDepth)
	e.gauge("papdl_partition_send_queue_depth", "Frames computed and waiting to be sent downstream.", &m.outDepth)
	e.histogram("papdl_partition_compute_seconds", "Time to run the partition on one request.", m.compute)
	e.histogram("papdl_partition_send_seconds", "Time to write one frame downstream (includes back pressure).", m.send)
	e.counter("papdl_partition_downstream_dials_total", "Connection attempts to the downstream hop.", &s.next.dials)
	e.counter("papdl_partition_downstream_breaks_total", "Downstream connections lost.", &s.next.breaks)
	return e.err
}

// MetricsHandler serves WriteMetrics.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_ = s.WriteMetrics(w)
	})
}
