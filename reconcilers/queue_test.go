package reconcilers

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second}
	tests := []struct {
		failures int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {50, 10 * time.Second}}
	for _, tc := range tests {
		if got := b.Delay(tc.failures); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

func TestQueueDeduplicatesAndRequeuesDirty(t *testing.T) {
	ctx := context.Background()
	q := NewQueue()
	q.Add("a")
	q.Add("b")
	q.Add("a")
	name, ok := q.Get(ctx)
	if !ok || name != "a" {
		t.Fatalf("Get = %q %v, want a", name, ok)
	}
	q.Add("a") // while a is processing: must come back after Done
	name, _ = q.Get(ctx)
	if name != "b" {
		t.Fatalf("Get = %q, want b (a is being processed)", name)
	}
	q.Done("b")
	q.Done("a")
	name, _ = q.Get(ctx)
	if name != "a" {
		t.Fatalf("Get = %q, want a again (added while processing)", name)
	}
	q.Done("a")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if name, ok := q.Get(cctx); ok {
		t.Fatalf("Get on an empty queue returned %q", name)
	}
}

func TestControllerRetriesErrorsButNotTerminal(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	done := make(chan struct{})
	rec := Func(func(ctx context.Context, req Request) (Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[req.Name]++
		switch {
		case req.Name == "flaky" && calls[req.Name] < 3:
			return Result{}, errors.New("transient")
		case req.Name == "flaky":
			close(done)
		case req.Name == "bad":
			return Result{}, Terminal(errors.New("invalid spec"))
		}
		return Result{}, nil
	})
	q := NewQueue()
	c := &Controller{Name: "test", Reconciler: rec, Queue: q, Log: zap.NewNop(),
		Backoff: Backoff{Base: time.Millisecond, Max: 4 * time.Millisecond}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { c.Run(ctx); close(stopped) }()
	q.Add("bad")
	q.Add("flaky")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("flaky was not retried to success")
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	if calls["flaky"] != 3 {
		t.Errorf("flaky reconciled %d times, want 3", calls["flaky"])
	}
	if calls["bad"] != 1 {
		t.Errorf("terminal error retried: %d calls, want 1", calls["bad"])
	}
}
