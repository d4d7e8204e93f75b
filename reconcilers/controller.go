package reconcilers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Controller runs a Reconciler over the names of a Queue.
type Controller struct {
	Name       string
	Reconciler Reconciler
	Queue      *Queue
	Log        *zap.Logger
	// Workers is the number of names reconciled in parallel (default 2).
	Workers int
	// Timeout bounds one reconcile (default 30 minutes: slicing and
	// benchmarking a large model take minutes).
	Timeout time.Duration
	// Backoff spaces retries after errors (default 1s doubling to 5m).
	Backoff Backoff
	// ShutdownTimeout bounds the wait for reconciles in progress once ctx
	// ends (default 10s): a reconcile stuck past its context does not
	// keep the process alive.
	ShutdownTimeout time.Duration
	// Metrics, when set, counts the reconciles and times them.
	Metrics *Metrics
}

// Run processes the queue until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	workers := c.Workers
	if workers <= 0 {
		workers = 2
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				name, ok := c.Queue.Get(ctx)
				if !ok {
					return
				}
				c.process(ctx, name)
				c.Queue.Done(name)
			}
		}()
	}
	<-ctx.Done()
	c.Queue.ShutDown()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	grace := c.ShutdownTimeout
	if grace <= 0 {
		grace = 10 * time.Second
	}
	select {
	case <-stopped:
	case <-time.After(grace):
		c.Log.Error("reconciles still running after shutdown timeout: leaving them", zap.Duration("timeout", grace))
	}
}

func (c *Controller) process(ctx context.Context, name string) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	backoff := c.Backoff
	if backoff.Base <= 0 {
		backoff = Backoff{Base: time.Second, Max: 5 * time.Minute}
	}
	log := c.Log.With(zap.String("controller", c.Name), zap.String("name", name))
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	res, err := c.safeReconcile(rctx, name)
	elapsed := time.Since(start).Round(time.Millisecond)
	c.Metrics.observe(c.Name, outcome(res, err), elapsed)
	switch {
	case ctx.Err() != nil:
		return
	case err != nil && IsTerminal(err):
		c.Queue.Forget(name)
		log.Error("reconcile stalled: waiting for a change", zap.Duration("took", elapsed), zap.Error(err))
	case err != nil:
		n := c.Queue.Failed(name)
		delay := backoff.Delay(n)
		c.Queue.AddAfter(name, delay)
		log.Warn("reconcile failed, will retry", zap.Duration("took", elapsed), zap.Int("failures", n),
			zap.Duration("retryIn", delay), zap.Error(err))
	default:
		c.Queue.Forget(name)
		if res.RequeueAfter > 0 {
			c.Queue.AddAfter(name, res.RequeueAfter)
		}
		log.Info("reconcile finished", zap.Duration("took", elapsed), zap.Duration("nextRunIn", res.RequeueAfter))
	}
}

func (c *Controller) safeReconcile(ctx context.Context, name string) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reconcile panicked: %v", r)
		}
	}()
	return c.Reconciler.Reconcile(ctx, Request{Name: name})
}
