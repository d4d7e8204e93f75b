package e2e

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

// loadClient sends the fixture's input to a gateway steadily and records
// every answer, so that a test can tell what clients saw during an event.
type loadClient struct {
	port int
	want []byte

	mu      sync.Mutex
	results []result
	stop    context.CancelFunc
	done    chan struct{}
}

type result struct {
	at      time.Time
	latency time.Duration
	err     error
}

// startLoad sends a request every interval (one at a time) until stopped.
func startLoad(port int, want []byte, interval time.Duration) *loadClient {
	ctx, stop := context.WithCancel(context.Background())
	l := &loadClient{port: port, want: want, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		deadline := time.Now().Add(5 * time.Minute) // bounded in any case
		for ctx.Err() == nil && time.Now().Before(deadline) {
			start := time.Now()
			body, err := postInput(ctx, l.port)
			if err == nil && !bytes.Equal(body, l.want) {
				err = fmt.Errorf("the answer (%d bytes) is not the model's output", len(body))
			}
			if ctx.Err() != nil {
				return
			}
			l.mu.Lock()
			l.results = append(l.results, result{at: start, latency: time.Since(start), err: err})
			l.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
	}()
	return l
}

// Stop ends the client.
func (l *loadClient) Stop() {
	l.stop()
	<-l.done
}

// mark is a point in the client's history.
func (l *loadClient) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.results)
}

// report summarises the requests since mark: count, failures, p50/p99/max.
func (l *loadClient) report(since int) (n, failed int, summary string, firstErr error) {
	l.mu.Lock()
	rs := append([]result(nil), l.results[since:]...)
	l.mu.Unlock()
	var lat []time.Duration
	for _, r := range rs {
		if r.err != nil {
			failed++
			if firstErr == nil {
				firstErr = r.err
			}
		}
		lat = append(lat, r.latency)
	}
	if len(lat) == 0 {
		return 0, 0, "no requests", nil
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(time.Millisecond) }
	return len(rs), failed, fmt.Sprintf("%d requests, %d failed, latency p50 %s p99 %s max %s", len(rs), failed, q(0.5), q(0.99), q(1)), firstErr
}

// 10. No request is lost: a steady client sees only exact answers while a
// partition is SIGKILLed and restarted, and while the controller crashes
// and starts again.
func TestNoRequestLostOnLocal(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	port := freePort(t)
	c.apply(spec{name: "mnist", model: fixture.modelA, port: port, pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}})
	c.waitReady("mnist", "")
	load := startLoad(port, fixture.monoA, 20*time.Millisecond)
	defer load.Stop()
	check := func(event string, since int) {
		t.Helper()
		n, failed, summary, firstErr := load.report(since)
		t.Logf("%s: %s", event, summary)
		if n == 0 {
			t.Errorf("%s: the client sent nothing during the event", event)
		}
		if failed > 0 {
			t.Errorf("%s: %d of %d requests failed (first: %v)", event, failed, n, firstErr)
		}
	}
	eventually(t, shortTimeout, "the client's first answers", func() (bool, string) { return load.mark() > 5, "" })

	// A partition is SIGKILLed: the runtime restarts it, the gateway holds
	// and replays what was in flight.
	m := load.mark()
	victim := c.workloads("mnist")["papdl-mnist-p1"]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, readyTimeout, "papdl-mnist-p1 to run again", func() (bool, string) {
		w := c.workloads("mnist")["papdl-mnist-p1"]
		return w.PID != victim.PID && nodeProcessAlive(w.PID), ""
	})
	c.waitReady("mnist", "")
	time.Sleep(500 * time.Millisecond) // answers after the restart, too
	t.Logf("partition SIGKILL -> Ready again: %s", time.Since(start).Round(time.Millisecond))
	check("partition SIGKILL", m)

	// The controller crashes and starts again: the workloads never stop.
	m = load.mark()
	c.KillController()
	time.Sleep(500 * time.Millisecond)
	start = time.Now()
	c.startController()
	eventually(t, readyTimeout, "the new controller to reconcile mnist", func() (bool, string) {
		return c.ReconcilesFinished("mnist") > 0, ""
	})
	t.Logf("controller SIGKILL + restart -> reconciled: %s", time.Since(start).Round(time.Millisecond))
	check("controller SIGKILL and restart", m)
}
