package e2eutil

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Load is a steady client: it sends predictions and records every answer,
// so that a test can tell what clients saw during an event (a node kill, a
// model update, a controller restart).
type Load struct {
	send func(ctx context.Context) ([]byte, error)

	mu      sync.Mutex
	want    [][]byte // the answers that are right now
	results []LoadResult
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// LoadResult is one request.
type LoadResult struct {
	At      time.Time
	Latency time.Duration
	Err     error
}

// StartLoad starts clients that each send a request, wait for its answer
// (which must be want), sleep interval, and again, until Stop.
func StartLoad(send func(ctx context.Context) ([]byte, error), want []byte, clients int, interval time.Duration) *Load {
	ctx, stop := context.WithCancel(context.Background())
	l := &Load{send: send, want: [][]byte{want}, stop: stop}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			deadline := time.Now().Add(30 * time.Minute) // bounded in any case
			for ctx.Err() == nil && time.Now().Before(deadline) {
				l.once(ctx)
				select {
				case <-ctx.Done():
				case <-time.After(interval):
				}
			}
		}()
	}
	return l
}

func (l *Load) once(ctx context.Context) {
	want := l.expected()
	start := time.Now()
	body, err := l.send(ctx)
	if ctx.Err() != nil {
		return // stopped: not an answer
	}
	if err == nil && !slices.ContainsFunc(want, func(w []byte) bool { return bytes.Equal(body, w) }) {
		err = fmt.Errorf("the answer (%d bytes) is not the model's output", len(body))
	}
	l.mu.Lock()
	l.results = append(l.results, LoadResult{At: start, Latency: time.Since(start), Err: err})
	l.mu.Unlock()
}

// Expect sets the answers that are right for requests sent from now on
// (during a model update: the old model's and the new one's).
func (l *Load) Expect(answers ...[]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.want = answers
}

func (l *Load) expected() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.want
}

// Mark is a point in the client's history.
func (l *Load) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.results)
}

// Stop ends the clients.
func (l *Load) Stop() {
	l.stop()
	l.wg.Wait()
}

// LoadReport summarises the requests since a mark.
type LoadReport struct {
	N, Failed int
	FirstErr  error
	// Summary: count, failures, latency p50/p99/max.
	Summary string
}

// Report summarises the requests since mark.
func (l *Load) Report(since int) LoadReport {
	l.mu.Lock()
	rs := slices.Clone(l.results[since:])
	l.mu.Unlock()
	var r LoadReport
	var lat []time.Duration
	for _, x := range rs {
		if x.Err != nil {
			r.Failed++
			if r.FirstErr == nil {
				r.FirstErr = x.Err
			}
		}
		lat = append(lat, x.Latency)
	}
	r.N = len(rs)
	if len(lat) == 0 {
		r.Summary = "no requests"
		return r
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(time.Millisecond) }
	r.Summary = fmt.Sprintf("%d requests, %d failed, latency p50 %s p99 %s max %s", len(rs), r.Failed, q(0.5), q(0.99), q(1))
	return r
}
