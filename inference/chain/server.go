package chain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// ServerConfig configures a partition server.
type ServerConfig struct {
	// Stage is the compiled partition with its manifest entry (what it
	// reads, writes and forwards).
	Stage slice.Stage
	// Next is the downstream address: the next partition server, or the
	// gateway's return listener after the last partition.
	Next string
	// Return, optional, is the gateway's return listener: failures to
	// forward downstream are reported there so requests fail fast.
	Return string
	// QueueDepth bounds each of the receive->compute and compute->send
	// queues (default 2).
	QueueDepth int
	// Workers is the number of compute goroutines (default 1).
	Workers int
	Limits  Limits
	// Auth, when set, authenticates every hop with the model's credentials:
	// upstream connections must complete a mutual TLS handshake before a
	// frame is read, and the links downstream present the same credentials.
	Auth   *chainauth.Credentials
	Link   LinkOptions
	Logger *zap.Logger
}

// Server is a partition server.
type Server struct {
	cfg   ServerConfig
	index int
	log   *zap.Logger
	next  *Link
	ret   *Link
	in    chan work
	out   chan work
	m     serverMetrics
}

// work is a frame on its way through the server.
type work struct {
	f        *Frame
	received time.Time
	deadline time.Time // zero: none
}

func (w work) context(parent context.Context) (context.Context, context.CancelFunc) {
	if w.deadline.IsZero() {
		return context.WithCancel(parent)
	}
	return context.WithDeadline(parent, w.deadline)
}

// budget is what is left of the request's time, for the next hop.
func (w work) budget() time.Duration {
	if w.deadline.IsZero() {
		return 0
	}
	return max(time.Until(w.deadline), time.Nanosecond)
}

// NewServer checks cfg.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Stage.Program == nil {
		return nil, errors.New("partition server: no compiled partition")
	}
	if cfg.Next == "" {
		return nil, fmt.Errorf("partition %d: no downstream address", cfg.Stage.Partition.Index)
	}
	if cfg.QueueDepth <= 0 {
		cfg.QueueDepth = 2
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	cfg.Limits = cfg.Limits.withDefaults()
	// Upstream sends exactly the tensors this partition reads or forwards.
	cfg.Limits.Expect = expectUnion(cfg.Stage.Partition.Inputs, cfg.Stage.Partition.Forward)
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	idx := cfg.Stage.Partition.Index
	log = log.With(zap.Int("partition", idx))
	s := &Server{cfg: cfg, index: idx, log: log,
		in: make(chan work, cfg.QueueDepth), out: make(chan work, cfg.QueueDepth),
		m: newServerMetrics()}
	if cfg.Auth != nil {
		cfg.Link.Auth = cfg.Auth
	}
	nextOpts := cfg.Link
	if cfg.Return != "" && cfg.Return != cfg.Next {
		s.ret = NewLink(cfg.Return, cfg.Link, log.With(zap.String("hop", "return")))
		nextOpts.OnBreak = s.reportBrokenHop
	}
	s.next = NewLink(cfg.Next, nextOpts, log.With(zap.String("hop", "next")))
	return s, nil
}

// reportBrokenHop tells the gateway that the connection to the next hop
// broke, so the requests in flight past this partition are lost: the
// gateway fails them at once instead of waiting for their deadlines.
func (s *Server) reportBrokenHop(err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The text reaches clients: it names the hop, not its address.
	report := &Frame{Kind: KindError, ID: BrokenChainID, ErrStage: s.index,
		Err: fmt.Sprintf("partition %d: lost the connection to %s", s.index, s.nextName())}
	if _, serr := s.ret.Send(ctx, report); serr != nil {
		s.log.Warn("cannot report the broken hop to the gateway", zap.Error(serr))
	}
}

// nextName names the next hop for error texts that reach clients (which
// must not learn internal addresses).
func (s *Server) nextName() string {
	if s.cfg.Next == s.cfg.Return {
		return "the gateway"
	}
	return fmt.Sprintf("partition %d", s.index+1)
}

// Serve accepts upstream connections on ln and runs the pipeline until ctx
// ends; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var workers sync.WaitGroup
	for i := 0; i < s.cfg.Workers; i++ {
		workers.Add(1)
		go func() { defer workers.Done(); s.compute(ctx) }()
	}
	sendDone := make(chan struct{})
	go func() { defer close(sendDone); s.send(ctx) }()

	s.log.Info("partition server listening", zap.String("addr", ln.Addr().String()), zap.String("next", s.cfg.Next))
	var acceptErr error
	if err := serveConns(ctx, ln, s.acceptOptions(), func(c net.Conn) { s.receive(ctx, c) }); err != nil {
		acceptErr = fmt.Errorf("partition %d: accept on %s: %w", s.index, ln.Addr(), err)
	}
	cancel()
	workers.Wait()
	<-sendDone
	_ = s.next.Close()
	if s.ret != nil {
		_ = s.ret.Close()
	}
	return acceptErr
}

func (s *Server) acceptOptions() acceptOptions {
	o := acceptOptions{maxConns: s.cfg.Limits.MaxConns, onError: func(what string, err error) {
		s.m.errors.with(what).inc()
		s.log.Debug("upstream connection refused", zap.String("stage", what), zap.Error(err))
	}}
	if s.cfg.Auth != nil {
		o.tls = s.cfg.Auth.ServerConfig()
	}
	return o
}

// receive reads frames from one upstream connection.
func (s *Server) receive(ctx context.Context, c net.Conn) {
	defer c.Close()
	peer := c.RemoteAddr().String()
	log := s.log.With(zap.String("upstream", peer))
	log.Info("upstream connected")
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		_ = c.SetReadDeadline(time.Now().Add(s.cfg.Limits.IdleTimeout))
		f, n, err := ReadFrame(r, s.cfg.Limits)
		s.m.bytesIn.add(uint64(n))
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				log.Info("upstream disconnected")
			} else {
				s.m.errors.with("receive").inc()
				log.Warn("dropping upstream connection", zap.Error(err))
			}
			return
		}
		s.m.frames.with(f.Kind.String()).inc()
		w := work{f: f, received: time.Now()}
		if f.Budget > 0 {
			w.deadline = w.received.Add(f.Budget)
		}
		q := s.out
		switch f.Kind {
		case KindData:
			q = s.in
		case KindPing:
			f.Timings = append(f.Timings, Timing{Stage: s.index})
		case KindError:
		default:
			s.m.errors.with("receive").inc()
			log.Warn("dropping upstream connection", zap.Stringer("kind", f.Kind))
			return
		}
		depth := s.m.queueDepth(q == s.in)
		depth.add(1)
		select {
		case q <- w:
		case <-ctx.Done():
			depth.add(-1)
			return
		}
	}
}

// compute runs the partition on queued requests.
func (s *Server) compute(ctx context.Context) {
	for {
		var w work
		select {
		case w = <-s.in:
			s.m.inDepth.add(-1)
		case <-ctx.Done():
			return
		}
		wait := time.Since(w.received)
		if !w.deadline.IsZero() && time.Now().After(w.deadline) {
			s.m.expired.inc()
			s.log.Debug("request expired before compute", zap.Stringer("id", w.f.ID))
			continue
		}
		out := s.step(ctx, w)
		out.f.Timings = append(w.f.Timings, Timing{Stage: s.index, Wait: wait, Compute: time.Since(w.received) - wait})
		s.m.outDepth.add(1)
		select {
		case s.out <- out:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Server) step(ctx context.Context, w work) work {
	rctx, cancel := w.context(ctx)
	defer cancel()
	carried := make(map[string]*tensor.Tensor, len(w.f.Tensors))
	for _, nt := range w.f.Tensors {
		carried[nt.Name] = nt.Tensor
	}
	start := time.Now()
	outs, err := s.cfg.Stage.Step(rctx, carried)
	s.m.compute.observe(time.Since(start))
	if err == nil {
		err = checkCarried(s.cfg.Stage.Partition, outs)
	}
	if err != nil {
		s.m.errors.with("compute").inc()
		s.log.Warn("partition failed", zap.Stringer("id", w.f.ID), zap.Error(err))
		return w.withFrame(&Frame{Kind: KindError, ID: w.f.ID, ErrStage: s.index,
			Err: fmt.Sprintf("partition %d: %v", s.index, err)})
	}
	f := &Frame{Kind: KindData, ID: w.f.ID}
	p := s.cfg.Stage.Partition
	for _, v := range p.Outputs {
		f.Tensors = append(f.Tensors, NamedTensor{Name: v.Name, Tensor: outs[v.Name]})
	}
	for _, v := range p.Forward {
		f.Tensors = append(f.Tensors, NamedTensor{Name: v.Name, Tensor: outs[v.Name]})
	}
	return w.withFrame(f)
}

func (w work) withFrame(f *Frame) work { w.f = f; return w }

// checkCarried verifies that every tensor the partition must pass on is
// there with its declared dtype and shape (forwarded tensors are not
// checked by the engine).
func checkCarried(p slice.ManifestPartition, outs map[string]*tensor.Tensor) error {
	for _, vs := range [][]slice.Value{p.Outputs, p.Forward} {
		for _, v := range vs {
			t, ok := outs[v.Name]
			if !ok || t == nil {
				return fmt.Errorf("tensor %q missing", v.Name)
			}
			if t.DType != v.DType || !tensor.SameShape(t.Shape, v.Shape) {
				return fmt.Errorf("tensor %q is %s, expected %s%v", v.Name, t, v.DType, v.Shape)
			}
		}
	}
	return nil
}

// send forwards results downstream, one at a time.
func (s *Server) send(ctx context.Context) {
	for {
		var w work
		select {
		case w = <-s.out:
			s.m.outDepth.add(-1)
		case <-ctx.Done():
			return
		}
		s.forward(ctx, w)
	}
}

func (s *Server) forward(ctx context.Context, w work) {
	rctx, cancel := w.context(ctx)
	defer cancel()
	w.f.Budget = w.budget()
	start := time.Now()
	n, err := s.next.Send(rctx, w.f)
	s.m.bytesOut.add(uint64(n))
	s.m.send.observe(time.Since(start))
	if err == nil {
		return
	}
	s.m.errors.with("send").inc()
	s.log.Warn("cannot forward", zap.Stringer("id", w.f.ID), zap.Stringer("kind", w.f.Kind), zap.Error(err))
	if s.ret == nil {
		return
	}
	report := &Frame{Kind: KindError, ID: w.f.ID, Budget: w.budget(), ErrStage: s.index, Timings: w.f.Timings,
		Err: fmt.Sprintf("partition %d: %s %s", s.index, forwardingFailed, s.nextName())}
	if w.f.Kind == KindError {
		report.ErrStage, report.Err = w.f.ErrStage, w.f.Err
	}
	if _, err := s.ret.Send(rctx, report); err != nil {
		s.log.Warn("cannot report failure to the gateway", zap.Stringer("id", w.f.ID), zap.Error(err))
	}
}
