package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Replay: inference requests are idempotent, so a request whose chain
// broke (a partition died, a node went away, the chain is being replaced)
// is held and sent again, under a new id, until the chain answers or the
// request's deadline passes. Only then does it fail (504, saying why the
// chain was unavailable). A partition's own failure on a request (an error
// frame about the request, not about the chain) is not replayed.

// forwardingFailed starts the part of a partition's error report that says
// it could not pass a request on to the next hop: the chain, not the
// request, failed, so the gateway replays the request.
const forwardingFailed = "forwarding to"

// markChainBroken flags error frames that report a broken chain.
func markChainBroken(f *Frame) {
	if f.Kind == KindError && strings.Contains(f.Err, ": "+forwardingFailed+" ") {
		f.chainBroken = true
	}
}

// Replay backoff between attempts while the chain is down.
const (
	replayFirstWait = 20 * time.Millisecond
	replayMaxWait   = 500 * time.Millisecond
)

// MaxRequestTimeout bounds a per-request deadline override.
const MaxRequestTimeout = 5 * time.Minute

// HeaderTimeout overrides the gateway's per-request deadline for one HTTP
// request: a Go duration ("10s") or seconds ("2.5"), at most
// MaxRequestTimeout. The Open Inference Protocol's request parameter
// "timeout" does the same.
const HeaderTimeout = "Papdl-Timeout"

type requestTimeoutKey struct{}

// WithRequestTimeout asks Infer to use d as the request's deadline instead
// of the gateway's default.
func WithRequestTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, requestTimeoutKey{}, d)
}

// requestTimeout is the deadline for one request.
func (g *Gateway) requestTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(requestTimeoutKey{}).(time.Duration); ok && d > 0 {
		return min(d, MaxRequestTimeout)
	}
	return g.cfg.Timeout
}

// ParseTimeout reads a per-request timeout: a Go duration or seconds.
func ParseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f <= MaxRequestTimeout.Seconds() {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("timeout %q: want a positive duration (\"10s\") or seconds", s)
}

// withHeaderTimeout applies an HTTP request's Papdl-Timeout header.
func withHeaderTimeout(r *http.Request) (context.Context, error) {
	v := r.Header.Get(HeaderTimeout)
	if v == "" {
		return r.Context(), nil
	}
	d, err := ParseTimeout(v)
	if err != nil {
		return nil, &InputError{Msg: HeaderTimeout + ": " + err.Error()}
	}
	return WithRequestTimeout(r.Context(), d), nil
}

// sendWithReplay sends the request build makes (a fresh id each time) on
// the current route until its chain answers it or ctx ends; it returns
// the answer and the route that gave it.
func (g *Gateway) sendWithReplay(ctx context.Context, build func() *Frame) (*Frame, *route, error) {
	wait := replayFirstWait
	why := ""
	for replays := 0; ; replays++ {
		rt := g.current()
		r, err := g.roundTrip(ctx, rt, build())
		switch {
		case err == nil && !(r.Kind == KindError && r.chainBroken):
			return r, rt, nil
		case err != nil && !errors.Is(err, ErrUnavailable) && why != "":
			return nil, nil, fmt.Errorf("%w (after %d attempts; the chain had broken: %s)", err, replays+1, why)
		case err != nil && !errors.Is(err, ErrUnavailable):
			return nil, nil, err // the deadline passed, or the client left
		case err != nil:
			why = err.Error()
		default:
			why = r.Err
		}
		g.staleReady()
		g.m.replays.inc()
		g.m.held.add(1)
		select {
		case <-time.After(wait):
			g.m.held.add(-1)
		case <-ctx.Done():
			g.m.held.add(-1)
			g.m.errors.with("timeout").inc()
			return nil, nil, fmt.Errorf("no answer before the deadline (%w): the chain was unavailable, %d attempts, last: %s",
				ctx.Err(), replays+1, why)
		}
		wait = min(2*wait, replayMaxWait)
	}
}

// withParameterTimeout applies an inference request's "timeout"
// parameter: seconds as a number, or a duration string.
func withParameterTimeout(ctx context.Context, params map[string]json.RawMessage) (context.Context, error) {
	raw, ok := params["timeout"]
	if !ok {
		return ctx, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &InputError{Msg: "parameter timeout: " + err.Error()}
	}
	d, err := ParseTimeout(fmt.Sprint(v))
	if err != nil {
		return nil, &InputError{Msg: "parameter " + err.Error()}
	}
	return WithRequestTimeout(ctx, d), nil
}
