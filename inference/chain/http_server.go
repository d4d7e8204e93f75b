package chain

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPLimits bound what clients of an HTTP server can hold: time to send
// the header and the body, idle keep-alive connections, header size and the
// number of connections.
type HTTPLimits struct {
	// ReadHeaderTimeout bounds sending the request header (default 10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included
	// (default 60 s): a body that never finishes (a chunked body without
	// its last chunk, a trickle) is cut off then.
	ReadTimeout time.Duration
	// WriteTimeout bounds the handler and the response (default: the
	// gateway's request timeout plus ReadTimeout plus 10 s).
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long (default 60 s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request header (default 64 KiB).
	MaxHeaderBytes int
	// MaxConns is the most connections served at once (default 256); more
	// wait in the listen queue.
	MaxConns int
}

func (l HTTPLimits) withDefaults(requestTimeout time.Duration) HTTPLimits {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = 10 * time.Second
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = time.Minute
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = requestTimeout + l.ReadTimeout + 10*time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = time.Minute
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 256
	}
	return l
}

// NewHTTPServer is an http.Server for h with lim's timeouts (zero fields:
// defaults); base is every request's parent context. Serve it on
// LimitListener(ln, lim.MaxConns).
func NewHTTPServer(base context.Context, h http.Handler, lim HTTPLimits) *http.Server {
	lim = lim.withDefaults(30 * time.Second)
	return &http.Server{Handler: h, ReadHeaderTimeout: lim.ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout,
		WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout, MaxHeaderBytes: lim.MaxHeaderBytes,
		BaseContext: func(net.Listener) context.Context { return base }}
}

// HTTPServer is the gateway's API server with its configured limits.
// Serve it on LimitListener(ln, g.HTTPLimits().MaxConns).
func (g *Gateway) HTTPServer(base context.Context) *http.Server {
	return NewHTTPServer(base, g.Handler(), g.cfg.HTTP)
}

// HTTPLimits are the gateway's HTTP limits, defaults filled in.
func (g *Gateway) HTTPLimits() HTTPLimits { return g.cfg.HTTP }

// LimitListener accepts at most n connections at once from ln; Accept
// waits for one to close before taking the next (they wait in the kernel's
// listen queue meanwhile).
func LimitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		n = 256
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots chan struct{}
	once  sync.Once
	done  chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
