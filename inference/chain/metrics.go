package chain

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The metric primitives below write the Prometheus text exposition format
// (version 0.0.4) by hand.

// latencyBuckets returns the histogram upper bounds in seconds.
func latencyBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

type counter struct{ v atomic.Uint64 }

func (c *counter) add(n uint64)  { c.v.Add(n) }
func (c *counter) inc()          { c.v.Add(1) }
func (c *counter) value() uint64 { return c.v.Load() }

type gauge struct{ v atomic.Int64 }

func (g *gauge) add(n int64)  { g.v.Add(n) }
func (g *gauge) value() int64 { return g.v.Load() }

type histogram struct {
	bounds []float64
	counts []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	count  atomic.Uint64
	sumNs  atomic.Int64
}

func newHistogram() *histogram {
	b := latencyBuckets()
	return &histogram{bounds: b, counts: make([]atomic.Uint64, len(b)+1)}
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(h.bounds, s)
	h.counts[i].Add(1)
	h.count.Add(1)
	h.sumNs.Add(int64(d))
}

// family is a set of series of one metric name, keyed by a label value.
type family[T any] struct {
	mu     sync.Mutex
	label  string
	series map[string]*T
	make   func() *T
}

func newFamily[T any](label string, mk func() *T) *family[T] {
	return &family[T]{label: label, series: map[string]*T{}, make: mk}
}

func (f *family[T]) with(value string) *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.series[value]
	if !ok {
		s = f.make()
		f.series[value] = s
	}
	return s
}

func (f *family[T]) each(fn func(label string, s *T)) {
	f.mu.Lock()
	keys := make([]string, 0, len(f.series))
	for k := range f.series {
		keys = append(keys, k)
	}
	f.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		l := k // a family without a label name is keyed by rendered labels
		if f.label != "" {
			l = fmt.Sprintf("%s=%q", f.label, k)
		}
		fn(l, f.with(k))
	}
}

// expo accumulates an exposition, keeping the first write error.
type expo struct {
	w   io.Writer
	err error
}

func (e *expo) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *expo) head(name, typ, help string) {
	e.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func labels(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return "{" + strings.Join(kept, ",") + "}"
}

func (e *expo) counter(name, help string, c *counter) {
	e.head(name, "counter", help)
	e.printf("%s %d\n", name, c.value())
}

func (e *expo) gauge(name, help string, g *gauge) {
	e.head(name, "gauge", help)
	e.printf("%s %d\n", name, g.value())
}

func (e *expo) counters(name, help string, f *family[counter]) {
	e.head(name, "counter", help)
	f.each(func(l string, c *counter) { e.printf("%s%s %d\n", name, labels(l), c.value()) })
}

func (e *expo) histogramSeries(name, label string, h *histogram) {
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		e.printf("%s_bucket%s %d\n", name, labels(label, fmt.Sprintf("le=%q", formatFloat(b))), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	e.printf("%s_bucket%s %d\n", name, labels(label, `le="+Inf"`), cum)
	e.printf("%s_sum%s %s\n", name, labels(label), formatFloat(time.Duration(h.sumNs.Load()).Seconds()))
	e.printf("%s_count%s %d\n", name, labels(label), h.count.Load())
}

func (e *expo) histogram(name, help string, h *histogram) {
	e.head(name, "histogram", help)
	e.histogramSeries(name, "", h)
}

func (e *expo) histograms(name, help string, f *family[histogram]) {
	e.head(name, "histogram", help)
	f.each(func(l string, h *histogram) { e.histogramSeries(name, l, h) })
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprint(v)
}
