package reconcilers

import (
	"context"
	"errors"
	"time"
)

// Request names the object to reconcile.
type Request struct {
	Name string
}

// Result tells the controller when to look again without an error:
// RequeueAfter > 0 for an expected wait ("not ready yet").
type Result struct {
	RequeueAfter time.Duration
}

// Reconciler converges one object. Three exits: a Result with RequeueAfter
// for expected waits, an error for transient failures (retried with
// backoff), a terminal error (see Terminal) for invalid input that no retry
// can fix. Never a result and an error together.
type Reconciler interface {
	Reconcile(ctx context.Context, req Request) (Result, error)
}

// Func adapts a function to Reconciler.
type Func func(ctx context.Context, req Request) (Result, error)

// Reconcile calls f.
func (f Func) Reconcile(ctx context.Context, req Request) (Result, error) { return f(ctx, req) }

type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() error { return e.err }

// Terminal marks err as not worth retrying (an invalid spec): the controller
// logs it and waits for the next change instead of backing off.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return terminalError{err}
}

// IsTerminal reports whether err (or an error it wraps) was marked Terminal.
func IsTerminal(err error) bool {
	var t terminalError
	return errors.As(err, &t)
}
