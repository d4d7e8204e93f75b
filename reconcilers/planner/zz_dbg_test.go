package planner

import (
	"math"
	"testing"
	"time"
)

func TestDbg(t *testing.T) {
	for _, seed := range []uint64{4, 38, 6} {
		prof, req := randomInstance(newRand(seed), instanceOptions{nodes: 16, units: 200, memoryTight: true})
		p, _ := newProblem(prof, &req)
		s := newSearch(p, false, math.Inf(1), 5_000_000)
		plain := s.root
		t0 := time.Now()
		s.lagrange()
		t1 := time.Since(t0)
		lroot, inc := s.root, s.best
		s.done = false
		t0 = time.Now()
		if below(s.root, s.best) {
			s.dfs(0, p.src, 0, 0)
		}
		t.Logf("seed %d: plain %.6f lagr %.6f (%v) incumbent %.6f final %.6f expansions %d dfs %v", seed, plain, lroot, t1, inc, s.best, s.expansions, time.Since(t0))
	}
}
