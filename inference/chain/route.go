package chain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/slice"
)

// Routes: a gateway outlives the revisions of its model. What it sends
// requests to (the partition manifest and the first partition's address)
// is its route, which the controller replaces when a revision changes. A
// new route is taken only once its chain answers a ping end to end; then
// new requests go to the new chain while the requests already in the old
// one finish there, and the old first hop is closed once they are done.
// The switch is atomic for each request: it travels one chain, never
// parts of two.

// RouteSpec is a route as the controller sends it.
type RouteSpec struct {
	// Manifest is the partition manifest's path or URL, ManifestSHA256 its
	// digest (required: it is the revision's identity).
	Manifest       string `json:"manifest"`
	ManifestSHA256 string `json:"manifestSha256"`
	// First is partition 0's address (host:port).
	First string `json:"first"`
	// Issued orders routes (Unix nanoseconds at the controller): a route
	// older than the current one is refused, so a recorded route cannot be
	// sent again to roll a gateway back.
	Issued int64 `json:"issued"`
}

// same reports whether two specs lead to the same chain.
func (s RouteSpec) same(o RouteSpec) bool {
	return s.ManifestSHA256 == o.ManifestSHA256 && s.First == o.First
}

func (s RouteSpec) check() error {
	switch {
	case s.Manifest == "":
		return errors.New("route: no manifest")
	case s.ManifestSHA256 == "":
		return errors.New("route: no manifest digest")
	case s.First == "":
		return errors.New("route: no address for partition 0")
	}
	return nil
}

// route is a resolved RouteSpec: the manifest read and a link to its first
// partition.
type route struct {
	spec            RouteSpec
	inputs, outputs []slice.Value
	stages          int
	maxBody         int64
	link            *Link
	// expect bounds what the return listener accepts while this route is
	// current: this route's outputs and the previous one's, whose last
	// requests may still come back.
	expect []slice.Value
}

// RouteStatus says which route a gateway serves and which it is switching
// to.
type RouteStatus struct {
	Current *RouteSpec `json:"current,omitempty"`
	Pending *RouteSpec `json:"pending,omitempty"`
	// Error is why the pending route is not taken yet.
	Error string `json:"error,omitempty"`
}

// newRoute resolves spec against man.
func (g *Gateway) newRoute(spec RouteSpec, man *slice.Manifest) (*route, error) {
	if len(man.Inputs) == 0 || len(man.Outputs) == 0 {
		return nil, errors.New("gateway: the model declares no inputs or no outputs")
	}
	rt := &route{spec: spec, inputs: man.Inputs, outputs: man.Outputs, stages: len(man.Partitions),
		maxBody: g.cfg.MaxBodyBytes}
	if rt.maxBody <= 0 {
		rt.maxBody = defaultMaxBody(rt.inputs)
	}
	opts := g.cfg.Link
	opts.OnBreak = func(err error) {
		g.log.Warn("lost the connection to partition 0", zap.String("first", spec.First), zap.Error(err))
		g.failPending(rt, &Frame{Kind: KindError, ErrStage: 0, Err: "gateway: lost the connection to partition 0"})
	}
	rt.link = NewLink(spec.First, opts, g.log.With(zap.String("hop", "first")))
	return rt, nil
}

// current is the route requests go to now (nil before the first).
func (g *Gateway) current() *route { return g.route.Load() }

// awaitRoute returns the current route, waiting for the first one until ctx
// ends.
func (g *Gateway) awaitRoute(ctx context.Context) (*route, error) {
	if rt := g.current(); rt != nil {
		return rt, nil
	}
	select {
	case <-g.routed:
		return g.current(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: no route yet (the controller has not told this gateway where its chain is): %w", ErrUnavailable, ctx.Err())
	}
}

// Propose asks the gateway to switch to spec once its chain answers. A
// spec older than the current or pending one is refused; the current one
// again is accepted and changes nothing.
func (g *Gateway) Propose(spec RouteSpec) (RouteStatus, error) {
	if err := spec.check(); err != nil {
		return g.RouteStatus(), err
	}
	g.routeMu.Lock()
	defer g.routeMu.Unlock()
	if cur := g.current(); cur != nil {
		if spec.same(cur.spec) {
			g.proposed = nil
			return g.routeStatusLocked(), nil
		}
		if spec.Issued <= cur.spec.Issued {
			return g.routeStatusLocked(), fmt.Errorf("route issued at %d is older than the current one (%d)", spec.Issued, cur.spec.Issued)
		}
	}
	if p := g.proposed; p != nil && spec.Issued < p.Issued {
		return g.routeStatusLocked(), fmt.Errorf("route issued at %d is older than the pending one (%d)", spec.Issued, p.Issued)
	}
	g.proposed, g.proposedErr = &spec, ""
	select {
	case g.routeKick <- struct{}{}:
	default:
	}
	return g.routeStatusLocked(), nil
}

// RouteStatus reports the current and pending routes.
func (g *Gateway) RouteStatus() RouteStatus {
	g.routeMu.Lock()
	defer g.routeMu.Unlock()
	return g.routeStatusLocked()
}

func (g *Gateway) routeStatusLocked() RouteStatus {
	var st RouteStatus
	if cur := g.current(); cur != nil {
		spec := cur.spec
		st.Current = &spec
	}
	if g.proposed != nil {
		p := *g.proposed
		st.Pending, st.Error = &p, g.proposedErr
	}
	return st
}

// switchRoutes takes pending routes as their chains come up, until ctx
// ends. A proposed route is resolved (its manifest fetched, a link made)
// once; only the ping through its chain is retried.
func (g *Gateway) switchRoutes(ctx context.Context) {
	const retry = 200 * time.Millisecond
	var cand *route // the proposed route, resolved
	lastErr := ""
	defer func() {
		if cand != nil {
			_ = cand.link.Close()
		}
	}()
	for {
		g.routeMu.Lock()
		spec := g.proposed
		g.routeMu.Unlock()
		if spec == nil {
			select {
			case <-g.routeKick:
			case <-ctx.Done():
				return
			}
			continue
		}
		if cand != nil && !cand.spec.same(*spec) {
			_ = cand.link.Close()
			cand = nil
		}
		var err error
		if cand == nil {
			cand, err = g.resolve(ctx, *spec)
		}
		if err == nil {
			cand.spec = *spec // a newer push of the same chain
			if err = g.tryPing(ctx, cand); err == nil {
				g.take(cand)
				cand, lastErr = nil, ""
			}
		}
		g.routeMu.Lock()
		if g.proposed != nil && *g.proposed == *spec {
			if err == nil {
				g.proposed = nil
			} else {
				g.proposedErr = err.Error()
			}
		}
		g.routeMu.Unlock()
		if err == nil {
			continue
		}
		if err.Error() != lastErr { // log each new reason once, not every retry
			lastErr = err.Error()
			g.log.Info("route not taken yet", zap.String("manifest", spec.ManifestSHA256), zap.String("first", spec.First), zap.Error(err))
		}
		select {
		case <-time.After(retry):
		case <-g.routeKick:
		case <-ctx.Done():
			return
		}
	}
}

// resolve fetches spec's manifest and prepares a link to its first
// partition.
func (g *Gateway) resolve(ctx context.Context, spec RouteSpec) (*route, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	man, err := FetchManifest(ctx, g.cfg.Client, spec.Manifest, spec.ManifestSHA256)
	if err != nil {
		return nil, err
	}
	return g.newRoute(spec, man)
}

// tryPing sends one ping around rt's chain.
func (g *Gateway) tryPing(ctx context.Context, rt *route) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := g.ping(ctx, rt)
	return err
}

// take makes rt the current route and retires the previous one.
func (g *Gateway) take(rt *route) {
	g.routeMu.Lock()
	rt.expect = expectUnion(rt.outputs)
	if cur := g.route.Load(); cur != nil {
		rt.expect = expectUnion(rt.outputs, cur.outputs)
	}
	prev := g.route.Swap(rt)
	g.routeMu.Unlock()
	g.routedOnce.Do(func() { close(g.routed) })
	g.staleReady()
	if prev == nil {
		g.log.Info("route taken", zap.String("manifest", rt.spec.ManifestSHA256), zap.String("first", rt.spec.First), zap.Int("stages", rt.stages))
		return
	}
	g.m.routeSwitches.inc()
	g.log.Info("switched route", zap.String("manifest", rt.spec.ManifestSHA256), zap.String("first", rt.spec.First),
		zap.String("previous", prev.spec.ManifestSHA256), zap.Int("stages", rt.stages))
	go g.retire(prev)
}

// retire closes a route's first hop once its requests are done (or could
// no longer be waited for).
func (g *Gateway) retire(rt *route) {
	deadline := time.Now().Add(MaxRequestTimeout)
	for time.Now().Before(deadline) && g.inFlightOn(rt) > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	_ = rt.link.Close()
}

// inFlightOn counts the requests waiting for an answer from rt's chain.
func (g *Gateway) inFlightOn(rt *route) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, p := range g.pending {
		if p.route == rt {
			n++
		}
	}
	return n
}
