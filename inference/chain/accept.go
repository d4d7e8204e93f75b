package chain

import (
	"context"
	"net"
	"sync"
)

// serveConns accepts connections on ln and runs handle for each in its own
// goroutine until ctx ends; then it closes ln and every open connection
// and waits for the handlers. An accept error stops it the same way (open
// connections are closed so the handlers end) and is returned; nil means
// ctx ended.
func serveConns(ctx context.Context, ln net.Listener, handle func(c net.Conn)) error {
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
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = aerr
				closeAll()
			}
			break
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			handle(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return err
}
