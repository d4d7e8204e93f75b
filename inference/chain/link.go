package chain

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain/chainauth"
)

// LinkOptions tune a Link.
type LinkOptions struct {
	// DialTimeout bounds one connection attempt (default 2 s).
	DialTimeout time.Duration
	// RedialInterval is the least time between two failed connection
	// attempts; sends in between fail at once with the last error
	// (default 100 ms).
	RedialInterval time.Duration
	// WriteTimeout bounds a write when the context has no deadline
	// (default 30 s).
	WriteTimeout time.Duration
	// IdleClose closes a connection that carried nothing for this long
	// (default 1 min, below the listeners' default IdleTimeout), so that a
	// listener never drops a link's idle connection, which would look like a
	// broken hop; the next send dials again.
	IdleClose time.Duration
	// Auth, when set, makes every connection mutual TLS with the model's
	// credentials.
	Auth *chainauth.Credentials
	// OnBreak, when set, is called (in its own goroutine) each time an
	// established connection is lost: the peer closed it or died. Frames
	// sent on it and not yet answered are then lost too.
	OnBreak func(err error)
}

func (o LinkOptions) withDefaults() LinkOptions {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.RedialInterval <= 0 {
		o.RedialInterval = 100 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.IdleClose <= 0 {
		o.IdleClose = time.Minute
	}
	return o
}

// Link is a persistent connection to a downstream hop, dialled on first use
// and re-dialled after it breaks. Sends are serialized. The peer never
// writes on a hop, so a read returning marks the connection broken at once
// (the peer closed or died) instead of at the next failed write.
type Link struct {
	addr string
	opts LinkOptions
	log  *zap.Logger

	tls *tls.Config

	mu       sync.Mutex
	conn     net.Conn
	lastSend time.Time
	idle     *time.Timer
	failedAt time.Time
	failErr  error
	dials    counter
	breaks   counter
	closed   bool
}

// NewLink prepares a link to addr (host:port); it does not dial yet.
func NewLink(addr string, opts LinkOptions, log *zap.Logger) *Link {
	if log == nil {
		log = zap.NewNop()
	}
	l := &Link{addr: addr, opts: opts.withDefaults(), log: log.With(zap.String("peer", addr))}
	if opts.Auth != nil {
		l.tls = opts.Auth.ClientConfig()
	}
	return l
}

// closeIdle drops the connection when nothing was sent on it for
// IdleClose; dropping it first means the watcher sees no break.
func (l *Link) closeIdle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return
	}
	if left := l.opts.IdleClose - time.Since(l.lastSend); left > 0 {
		l.idle.Reset(left)
		return
	}
	l.log.Debug("closing idle connection")
	l.dropLocked(l.conn)
}

// Send writes f, dialling first if needed. When a write fails on a
// connection that was already open (the peer may have restarted), it
// re-dials once and writes again: the peer discards partial frames, so
// nothing is delivered twice.
func (l *Link) Send(ctx context.Context, f *Frame) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for attempt := 0; ; attempt++ {
		fresh := l.conn == nil
		if fresh {
			if err := l.dialLocked(ctx); err != nil {
				return 0, err
			}
		}
		c := l.conn
		dl, ok := ctx.Deadline()
		if !ok {
			dl = time.Now().Add(l.opts.WriteTimeout)
		}
		if err := c.SetWriteDeadline(dl); err != nil {
			l.dropLocked(c)
			return 0, fmt.Errorf("send to %s: %w", l.addr, err)
		}
		n, err := WriteFrame(c, f)
		if err == nil {
			l.lastSend = time.Now()
			if l.idle == nil {
				l.idle = time.AfterFunc(l.opts.IdleClose, l.closeIdle)
			} else {
				l.idle.Reset(l.opts.IdleClose)
			}
			return n, nil
		}
		l.dropLocked(c)
		if !fresh && !isTimeout(err) {
			// The established connection broke under a write before
			// watch saw it: frames sent on it earlier are lost too.
			l.brokeLocked(err)
		}
		if fresh || attempt > 0 || ctx.Err() != nil || isTimeout(err) {
			return n, fmt.Errorf("send to %s: %w", l.addr, err)
		}
		l.log.Info("connection broke, redialling", zap.Error(err))
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (l *Link) dialLocked(ctx context.Context) error {
	if l.closed {
		return fmt.Errorf("link to %s is closed", l.addr)
	}
	if l.failErr != nil && time.Since(l.failedAt) < l.opts.RedialInterval {
		return fmt.Errorf("downstream %s unreachable (last attempt %s ago): %w",
			l.addr, time.Since(l.failedAt).Round(time.Millisecond), l.failErr)
	}
	dctx, cancel := context.WithTimeout(ctx, l.opts.DialTimeout)
	defer cancel()
	// A peer whose host died sends no FIN or RST: keepalive probes
	// (idle 2 s, then 1 s apart, 3 of them) and a bound on unacknowledged
	// writes (deadPeerTimeout) turn that silence into an error within
	// seconds, so the link breaks, the gateway fails what was in flight, and
	// the next send re-dials (and re-resolves the name, which a re-placed
	// service answers from its new node).
	d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 2 * time.Second, Interval: time.Second, Count: 3},
		Control: boundUnackedWrites}
	c, err := d.DialContext(dctx, "tcp", l.addr)
	l.dials.inc()
	if err != nil {
		l.failedAt, l.failErr = time.Now(), err
		return fmt.Errorf("downstream %s unreachable: %w", l.addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if l.tls != nil {
		tc := tls.Client(c, l.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = c.Close()
			l.failedAt, l.failErr = time.Now(), err
			return fmt.Errorf("downstream %s: authentication failed: %w", l.addr, err)
		}
		c = tc
	}
	l.failErr = nil
	l.conn = c
	l.log.Debug("connected")
	go l.watch(c)
	return nil
}

// watch waits for the peer to close c: hops are one-way, so any read
// returning means the connection is gone.
func (l *Link) watch(c net.Conn) {
	var b [1]byte
	_, err := c.Read(b[:])
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == c {
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("peer closed the connection")
		}
		l.dropLocked(c)
		l.brokeLocked(err)
	}
}

// brokeLocked counts and reports the loss of an established connection.
func (l *Link) brokeLocked(err error) {
	l.log.Info("connection lost", zap.Error(err))
	l.breaks.inc()
	if l.opts.OnBreak != nil && !l.closed {
		go l.opts.OnBreak(err)
	}
}

func (l *Link) dropLocked(c net.Conn) {
	_ = c.Close()
	if l.conn == c {
		l.conn = nil
	}
}

// Close closes the connection; later sends fail.
func (l *Link) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.idle != nil {
		l.idle.Stop()
	}
	if l.conn != nil {
		err := l.conn.Close()
		l.conn = nil
		return err
	}
	return nil
}
