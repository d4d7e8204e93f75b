package kernel

import "sync"

// Scratch lends float32 buffers to the kernels of one program, run after
// run, so that their temporary buffers (a convolution's im2col matrix) are
// allocated once per program rather than per run or per kernel, and are not
// dropped at every garbage collection as a sync.Pool's are. Concurrent runs
// borrow distinct buffers. Borrowed buffers hold stale data. Safe for
// concurrent use.
type Scratch struct {
	mu   sync.Mutex
	free [][]float32
}

// Get returns a buffer of length n: the smallest free one that is large
// enough, or a new one (which replaces the largest free buffer, so that
// the number of buffers stays the number of concurrent borrowers).
func (s *Scratch) Get(n int) []float32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := -1
	for i, b := range s.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(s.free[best])) {
			best = i
		}
	}
	if best < 0 {
		if len(s.free) > 0 {
			s.free = s.free[:len(s.free)-1] // the largest, see Put
		}
		return make([]float32, n)
	}
	b := s.free[best]
	s.free = append(s.free[:best], s.free[best+1:]...)
	return b[:n]
}

// Put returns a buffer from Get.
func (s *Scratch) Put(b []float32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Keep free sorted by capacity, largest last.
	i := len(s.free)
	s.free = append(s.free, nil)
	for i > 0 && cap(s.free[i-1]) > cap(b) {
		s.free[i] = s.free[i-1]
		i--
	}
	s.free[i] = b
}

// Bytes is the size of the buffers the Scratch holds for its next
// borrowers: after a run, the temporary memory the program keeps.
func (s *Scratch) Bytes() int64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, b := range s.free {
		n += int64(cap(b)) * 4
	}
	return n
}

// ScratchUser is implemented by kernels that borrow their temporary buffers
// from a program's Scratch once given one.
type ScratchUser interface {
	UseScratch(s *Scratch)
}
