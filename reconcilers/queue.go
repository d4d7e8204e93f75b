package reconcilers

import (
	"context"
	"sync"
	"time"
)

// Backoff computes retry delays: Base doubled per consecutive failure, up to
// Max.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Delay is the wait before retry number failures (1-based).
func (b Backoff) Delay(failures int) time.Duration {
	d := b.Base
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Queue is a keyed work queue: a name is queued at most once, handed to at
// most one worker at a time, and re-queued when it was added again while
// being processed (so no change is lost and no name is reconciled twice
// concurrently).
type Queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	queued     map[string]bool
	processing map[string]bool
	dirty      map[string]bool
	timers     map[string]*time.Timer
	failures   map[string]int
	closed     bool
}

// NewQueue returns an empty queue.
func NewQueue() *Queue {
	q := &Queue{queued: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{},
		timers: map[string]*time.Timer{}, failures: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Len is the number of names waiting for a worker (not those being
// processed, nor those whose delayed add is pending).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// Add queues name now (cancelling a pending delayed add).
func (q *Queue) Add(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.timers[name]; ok {
		t.Stop()
		delete(q.timers, name)
	}
	q.addLocked(name)
}

func (q *Queue) addLocked(name string) {
	if q.closed {
		return
	}
	if q.processing[name] {
		q.dirty[name] = true
		return
	}
	if !q.queued[name] {
		q.queued[name] = true
		q.order = append(q.order, name)
		q.cond.Signal()
	}
}

// AddAfter queues name after d, unless an earlier add is already pending.
func (q *Queue) AddAfter(name string, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if t, ok := q.timers[name]; ok {
		t.Stop()
	}
	q.timers[name] = time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		delete(q.timers, name)
		q.addLocked(name)
	})
}

// Get blocks until a name is ready or ctx ends / the queue is shut down
// (ok false). The caller must call Done(name) afterwards.
func (q *Queue) Get(ctx context.Context) (string, bool) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.closed && ctx.Err() == nil {
		q.cond.Wait()
	}
	if len(q.order) == 0 {
		return "", false
	}
	name := q.order[0]
	q.order = q.order[1:]
	delete(q.queued, name)
	q.processing[name] = true
	return name, true
}

// Done ends processing of name; a name added meanwhile is queued again.
func (q *Queue) Done(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, name)
	if q.dirty[name] {
		delete(q.dirty, name)
		q.addLocked(name)
	}
}

// Failed records a failure of name and returns its consecutive count.
func (q *Queue) Failed(name string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failures[name]++
	return q.failures[name]
}

// Forget resets name's failure count.
func (q *Queue) Forget(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, name)
}

// ShutDown wakes every waiting Get and drops pending delayed adds.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for name, t := range q.timers {
		t.Stop()
		delete(q.timers, name)
	}
	q.cond.Broadcast()
}
