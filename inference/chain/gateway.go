package chain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// GatewayConfig configures a gateway.
type GatewayConfig struct {
	// ModelName is the name the inference protocol serves the model under.
	ModelName string
	// ManifestSHA256, Inputs, Outputs, First and Stages, when First is
	// set, are the route the gateway starts with; otherwise it waits for
	// one (Propose). ManifestSHA256 is the digest of the partition
	// manifest: the identity of what it serves, reported on readiness
	// answers (header Papdl-Manifest-Sha256) so that a controller never
	// takes another model's or an older revision's gateway for its own.
	ManifestSHA256 string
	// Inputs and Outputs are the model's (from the partition manifest).
	Inputs, Outputs []slice.Value
	// First is partition 0's address.
	First string
	// Stages is the number of partitions (for readiness; 0: not checked).
	Stages int
	// Client fetches the manifests of proposed routes (default
	// http.DefaultClient).
	Client *http.Client
	// Timeout is the per-request deadline (default 30 s).
	Timeout time.Duration
	// MaxInFlight bounds the requests inside the chain (default 8); more
	// wait for a slot until their deadline.
	MaxInFlight int
	// MaxBodyBytes bounds HTTP request bodies (default: what the model's
	// inputs need in the inference protocol's JSON form, 32 bytes per
	// element, plus 1 MiB).
	MaxBodyBytes int64
	// HTTP bounds the API's clients (timeouts, connections).
	HTTP HTTPLimits
	// Token, when set, is the bearer token that POST /input and the
	// inference endpoints require ("Authorization: Bearer TOKEN"); health,
	// readiness, metadata and metrics stay open.
	Token  string
	Limits Limits
	// Auth, when set, authenticates the chain's hops (see ServerConfig.Auth).
	Auth   *chainauth.Credentials
	Link   LinkOptions
	Logger *zap.Logger
}

// Gateway sends requests into the chain and matches the results coming
// back on its return listener.
type Gateway struct {
	cfg   GatewayConfig
	log   *zap.Logger
	ids   *IDGenerator
	slots chan struct{}
	// bodies bounds the requests whose bodies are read and decoded at
	// once (2 x MaxInFlight): with MaxBodyBytes, the gateway's memory for
	// requests is bounded whatever the number of clients.
	bodies chan struct{}
	m      gatewayMetrics

	mu      sync.Mutex
	pending map[RequestID]*inflight

	// route is where requests go now; routed is closed when the first
	// route is taken. proposed is the route to switch to once its chain
	// answers (routeKick wakes the switcher).
	route       atomic.Pointer[route]
	routed      chan struct{}
	routedOnce  sync.Once
	routeMu     sync.Mutex
	proposed    *RouteSpec
	proposedErr string
	routeKick   chan struct{}

	readyMu   sync.Mutex
	readyAt   time.Time
	readyErr  error
	readyDone bool
	// readyStale is set when a request fails, so the next Ready pings.
	readyStale atomic.Bool
}

// inflight is a request waiting for its answer, and the route it took.
type inflight struct {
	ch    chan *Frame
	route *route
}

// Errors Infer wraps, for callers to pick a status.
var (
	// ErrBusy: no slot in the chain before the deadline.
	ErrBusy = errors.New("gateway busy: too many requests in flight")
	// ErrUnavailable: partition 0 cannot be reached.
	ErrUnavailable = errors.New("chain unavailable")
	// errPingPath: a ping came back through the wrong partitions.
	errPingPath = errors.New("the readiness ping took the wrong path")
)

// InputError is a request whose tensors do not match the model.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// RemoteError is an error frame: a partition failed.
type RemoteError struct {
	Stage int
	Msg   string
}

func (e *RemoteError) Error() string { return e.Msg }

// NewGateway checks cfg and draws the request id prefix.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 8
	}
	cfg.HTTP = cfg.HTTP.withDefaults(cfg.Timeout)
	if cfg.ModelName == "" {
		cfg.ModelName = "model"
	}
	if cfg.Limits.MaxConns <= 0 {
		// Every partition may hold a connection for failure reports, and
		// the last one its results, each possibly re-dialled once.
		// A routed gateway does not know its chains' lengths in advance;
		// during a switch two chains report to it.
		cfg.Limits.MaxConns = max(defaultMaxConns, 2*cfg.Stages+8)
		if cfg.First == "" {
			cfg.Limits.MaxConns = 4 * defaultMaxConns
		}
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	ids, err := NewIDGenerator()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	g := &Gateway{cfg: cfg, log: log, ids: ids,
		slots: make(chan struct{}, cfg.MaxInFlight), bodies: make(chan struct{}, 2*cfg.MaxInFlight), pending: map[RequestID]*inflight{}, m: newGatewayMetrics(),
		routed: make(chan struct{}), routeKick: make(chan struct{}, 1)}
	if cfg.Auth != nil {
		g.cfg.Link.Auth = cfg.Auth
	}
	if cfg.First != "" {
		// The route given at start: its chain is not pinged first.
		rt, err := g.newRoute(RouteSpec{ManifestSHA256: cfg.ManifestSHA256, First: cfg.First},
			&slice.Manifest{Inputs: cfg.Inputs, Outputs: cfg.Outputs, Partitions: make([]slice.ManifestPartition, cfg.Stages)})
		if err != nil {
			return nil, err
		}
		g.take(rt)
	}
	return g, nil
}

// defaultMaxBody is the body bound for a model's inputs: 32 bytes per
// element (a JSON number with its separator) plus 1 MiB for the rest.
func defaultMaxBody(inputs []slice.Value) int64 {
	var elems int64
	for _, v := range inputs {
		n := int64(1)
		for _, d := range v.Shape {
			n *= int64(max(d, 0))
		}
		elems += n
	}
	return 32*elems + 1<<20
}

// ServeReturns accepts the connections of the last partition (and the
// failure reports of any partition) on ln until ctx ends; it closes ln.
func (g *Gateway) ServeReturns(ctx context.Context, ln net.Listener) error {
	g.log.Info("gateway return listener up", zap.String("addr", ln.Addr().String()))
	o := acceptOptions{maxConns: g.cfg.Limits.MaxConns, onError: func(what string, err error) {
		g.m.errors.with(what).inc()
		g.log.Debug("return connection refused", zap.String("stage", what), zap.Error(err))
	}}
	if g.cfg.Auth != nil {
		o.tls = g.cfg.Auth.ServerConfig()
	}
	go g.switchRoutes(ctx)
	err := serveConns(ctx, ln, o, func(c net.Conn) { g.receive(ctx, c) })
	if rt := g.current(); rt != nil {
		_ = rt.link.Close()
	}
	if err != nil {
		return fmt.Errorf("gateway: accept returns on %s: %w", ln.Addr(), err)
	}
	return nil
}

func (g *Gateway) receive(ctx context.Context, c net.Conn) {
	defer c.Close()
	log := g.log.With(zap.String("from", c.RemoteAddr().String()))
	log.Info("return connection up")
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		_ = c.SetReadDeadline(time.Now().Add(g.cfg.Limits.IdleTimeout))
		f, n, err := ReadFrame(r, g.returnLimits())
		g.m.bytesIn.add(uint64(n))
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				g.m.errors.with("receive").inc()
				log.Warn("dropping return connection", zap.Error(err))
			} else {
				log.Info("return connection closed")
			}
			return
		}
		if f.Kind == KindError && f.ID == BrokenChainID {
			g.failPending(nil, f)
			continue
		}
		markChainBroken(f)
		g.mu.Lock()
		p, ok := g.pending[f.ID]
		delete(g.pending, f.ID)
		g.mu.Unlock()
		if !ok {
			g.m.late.inc()
			log.Debug("result for no pending request (late or unknown)", zap.Stringer("id", f.ID), zap.Stringer("kind", f.Kind))
			continue
		}
		p.ch <- f // buffered, one send per id
	}
}

// returnLimits bounds the frames coming back: the current route's
// outputs (and its predecessor's).
func (g *Gateway) returnLimits() Limits {
	l := g.cfg.Limits
	if rt := g.current(); rt != nil {
		l.Expect = rt.expect
	}
	return l
}

// failPending answers the pending requests sent on rt (every one when rt is
// nil) with the error frame f: the chain broke, so none of them can come
// back. They are replayed on the re-dialled chain or the current route.
func (g *Gateway) failPending(rt *route, f *Frame) {
	g.mu.Lock()
	var lost []RequestID
	var chans []chan *Frame
	for id, p := range g.pending {
		if rt == nil || p.route == rt {
			lost, chans = append(lost, id), append(chans, p.ch)
			delete(g.pending, id)
		}
	}
	g.mu.Unlock()
	if len(lost) > 0 {
		g.log.Warn("chain broken: failing the requests in flight", zap.Int("requests", len(lost)), zap.String("reason", f.Err))
	}
	for i, id := range lost {
		chans[i] <- &Frame{Kind: KindError, ID: id, ErrStage: f.ErrStage, Err: f.Err, chainBroken: true}
	}
}

// roundTrip sends f into the chain and waits for the frame that comes back
// with its id.
func (g *Gateway) roundTrip(ctx context.Context, rt *route, f *Frame) (*Frame, error) {
	ch := make(chan *Frame, 1)
	g.mu.Lock()
	g.pending[f.ID] = &inflight{ch: ch, route: rt}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.pending, f.ID)
		g.mu.Unlock()
	}()
	if dl, ok := ctx.Deadline(); ok {
		f.Budget = max(time.Until(dl), time.Nanosecond)
	}
	n, err := rt.link.Send(ctx, f)
	g.m.bytesOut.add(uint64(n))
	if err != nil {
		g.m.errors.with("send").inc()
		return nil, fmt.Errorf("%w: request %s: %w", ErrUnavailable, f.ID, err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		g.m.errors.with("timeout").inc()
		return nil, fmt.Errorf("request %s: no answer from the chain: %w", f.ID, ctx.Err())
	}
}

// Infer runs the model on inputs through the chain. Inputs must match the
// model's inputs exactly (names, dtypes, shapes); errors are *InputError,
// ErrBusy, ErrUnavailable, *RemoteError or the context's error.
func (g *Gateway) Infer(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	outs, _, err := g.infer(ctx, inputs)
	return outs, err
}

// infer is Infer also returning the partitions' timings.
func (g *Gateway) infer(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, []Timing, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, g.requestTimeout(ctx))
	defer cancel()
	rt, err := g.awaitRoute(ctx)
	if err != nil {
		g.m.errors.with("timeout").inc()
		return nil, nil, err
	}
	if err := rt.checkInputs(inputs); err != nil {
		g.m.errors.with("input").inc()
		return nil, nil, err
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		g.m.errors.with("busy").inc()
		return nil, nil, fmt.Errorf("%w (%d): %w", ErrBusy, g.cfg.MaxInFlight, ctx.Err())
	}
	g.m.inFlight.add(1)
	defer func() { <-g.slots; g.m.inFlight.add(-1) }()
	tensors := make([]NamedTensor, 0, len(rt.inputs))
	for _, v := range rt.inputs {
		tensors = append(tensors, NamedTensor{Name: v.Name, Tensor: inputs[v.Name]})
	}
	r, rt, err := g.sendWithReplay(ctx, func() *Frame {
		return &Frame{Kind: KindData, ID: g.ids.Next(), ErrStage: -1, Tensors: tensors}
	})
	if err != nil {
		g.staleReady()
		return nil, nil, err
	}
	g.m.observeTimings(r.Timings)
	if r.Kind == KindError {
		g.staleReady()
		g.m.errors.with("partition").inc()
		g.log.Warn("request failed in the chain", zap.Stringer("id", r.ID), zap.Int("stage", r.ErrStage), zap.String("error", r.Err))
		return nil, nil, &RemoteError{Stage: r.ErrStage, Msg: r.Err}
	}
	if r.Kind != KindData {
		g.m.errors.with("protocol").inc()
		return nil, nil, fmt.Errorf("request %s: the chain answered with a %s frame", r.ID, r.Kind)
	}
	outs := make(map[string]*tensor.Tensor, len(rt.outputs))
	for _, nt := range r.Tensors {
		outs[nt.Name] = nt.Tensor
	}
	for _, v := range rt.outputs {
		t, ok := outs[v.Name]
		if !ok {
			g.m.errors.with("protocol").inc()
			return nil, nil, fmt.Errorf("request %s: model output %q missing from the chain's answer", r.ID, v.Name)
		}
		if t.DType != v.DType || !tensor.SameShape(t.Shape, v.Shape) {
			return nil, nil, fmt.Errorf("request %s: model output %q is %s, expected %s%v", r.ID, v.Name, t, v.DType, v.Shape)
		}
	}
	g.m.latency.observe(time.Since(start))
	return outs, r.Timings, nil
}

// checkInputs verifies names, dtypes and shapes against the route's model.
func (rt *route) checkInputs(inputs map[string]*tensor.Tensor) error {
	for _, v := range rt.inputs {
		t, ok := inputs[v.Name]
		if !ok || t == nil {
			return &InputError{Msg: fmt.Sprintf("missing input %q (%s%v)", v.Name, v.DType, v.Shape)}
		}
		if err := t.Check(); err != nil {
			return &InputError{Msg: fmt.Sprintf("input %q: %v", v.Name, err)}
		}
		if t.DType != v.DType || !tensor.SameShape(t.Shape, v.Shape) {
			return &InputError{Msg: fmt.Sprintf("Input dimensions does not match the model: input %q is %s, the model expects %s%v",
				v.Name, t, v.DType, v.Shape)}
		}
	}
	if len(inputs) != len(rt.inputs) {
		for name := range inputs {
			if !rt.isInput(name) {
				return &InputError{Msg: fmt.Sprintf("unknown input %q", name)}
			}
		}
	}
	return nil
}

func (rt *route) isInput(name string) bool {
	for _, v := range rt.inputs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// PingResult is what a ping through the chain learned.
type PingResult struct {
	Stages  []int         // partition indices the ping passed, in order
	Elapsed time.Duration // round trip
}

// Ping sends a ping frame around the current route's chain and waits for
// it.
func (g *Gateway) Ping(ctx context.Context) (PingResult, error) {
	rt := g.current()
	if rt == nil {
		return PingResult{}, fmt.Errorf("ping: %w: no route yet", ErrUnavailable)
	}
	return g.ping(ctx, rt)
}

// ping sends a ping frame around rt's chain.
func (g *Gateway) ping(ctx context.Context, rt *route) (PingResult, error) {
	start := time.Now()
	r, err := g.roundTrip(ctx, rt, &Frame{Kind: KindPing, ID: g.ids.Next(), ErrStage: -1})
	if err != nil {
		return PingResult{}, fmt.Errorf("ping: %w", err)
	}
	res := PingResult{Elapsed: time.Since(start)}
	if r.Kind == KindError {
		return res, fmt.Errorf("ping: %w", &RemoteError{Stage: r.ErrStage, Msg: r.Err})
	}
	for _, t := range r.Timings {
		res.Stages = append(res.Stages, t.Stage)
	}
	if rt.stages > 0 {
		ok := len(res.Stages) == rt.stages
		for i := 0; ok && i < len(res.Stages); i++ {
			ok = res.Stages[i] == i
		}
		if !ok {
			return res, fmt.Errorf("%w: it passed partitions %v, expected 0..%d in order", errPingPath, res.Stages, rt.stages-1)
		}
	}
	return res, nil
}

// staleReady forgets the last successful ping: a request just failed.
func (g *Gateway) staleReady() {
	g.readyStale.Store(true)
}

// Ready pings the chain unless a ping succeeded within the last second.
func (g *Gateway) Ready(ctx context.Context) error {
	g.readyMu.Lock()
	defer g.readyMu.Unlock()
	stale := g.readyStale.Swap(false)
	if !stale && g.readyDone && g.readyErr == nil && time.Since(g.readyAt) < time.Second {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, min(g.cfg.Timeout, 5*time.Second))
	defer cancel()
	_, err := g.Ping(ctx)
	g.readyAt, g.readyErr, g.readyDone = time.Now(), err, true
	return err
}
