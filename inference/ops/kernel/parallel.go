package kernel

import (
	"runtime"
	"sync"
)

// Split runs body on consecutive ranges [lo, hi) that cover [0, n), on up to
// GOMAXPROCS goroutines, each range at least minRange long (one range, on
// the calling goroutine, when n < 2·minRange). body must write only its own
// range, so the result does not depend on the split: it is for element-wise
// work.
func Split(n, minRange int, body func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n/max(minRange, 1))
	if w <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(i*n/w, (i+1)*n/w)
		}()
	}
	body(0, n/w)
	wg.Wait()
}
