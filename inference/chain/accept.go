package chain

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// Connection bounds of a chain listener (see Limits).
const (
	defaultMaxConns         = 32
	defaultIdleTimeout      = 2 * time.Minute
	defaultHandshakeTimeout = 5 * time.Second
	maxAcceptBackoff        = time.Second
)

// acceptOptions tune serveConns.
type acceptOptions struct {
	// maxConns is the most connections served at once; more are closed as
	// soon as they are accepted.
	maxConns int
	// tls, when set, is the listening side's TLS configuration: a
	// connection reaches handle only after a completed handshake (within
	// handshakeTimeout), so an unauthenticated peer never sends a frame.
	tls              *tls.Config
	handshakeTimeout time.Duration
	// onError, when set, is told about refused connections, failed
	// handshakes and accept errors (the loop goes on after each).
	onError func(what string, err error)
}

// serveConns accepts connections on ln and runs handle for each in its own
// goroutine until ctx ends; then it closes ln and every open connection
// and waits for the handlers. Accept errors (out of file descriptors, a
// connection reset before it was accepted) are retried with a growing
// pause, so a burst of connections cannot stop the listener; only a closed
// listener ends the loop early, and its error is returned. nil means ctx
// ended.
func serveConns(ctx context.Context, ln net.Listener, o acceptOptions, handle func(c net.Conn)) error {
	if o.maxConns <= 0 {
		o.maxConns = defaultMaxConns
	}
	if o.handshakeTimeout <= 0 {
		o.handshakeTimeout = defaultHandshakeTimeout
	}
	report := func(what string, err error) {
		if o.onError != nil {
			o.onError(what, err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	closeAll := func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			_ = c.Close()
		}
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	var err error
	var backoff time.Duration
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(aerr, net.ErrClosed) {
				err = aerr
				closeAll()
				break
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			report("accept", aerr)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		mu.Lock()
		full := len(conns) >= o.maxConns
		if !full {
			conns[c] = struct{}{}
		}
		mu.Unlock()
		if full {
			_ = c.Close()
			report("refuse", errors.New("too many connections"))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				_ = c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
			conn := c
			if o.tls != nil {
				tc := tls.Server(c, o.tls)
				_ = c.SetDeadline(time.Now().Add(o.handshakeTimeout))
				if herr := tc.HandshakeContext(ctx); herr != nil {
					report("handshake", herr)
					return
				}
				_ = c.SetDeadline(time.Time{})
				conn = tc
			}
			handle(conn)
		}()
	}
	wg.Wait()
	return err
}
