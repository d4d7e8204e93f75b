package kernel

import "testing"

// TestScratch checks that buffers are reused, distinct while borrowed, and
// that a larger request replaces the largest free buffer.
func TestScratch(t *testing.T) {
	var s Scratch
	a := s.Get(100)
	b := s.Get(50)
	if len(a) != 100 || len(b) != 50 || &a[0] == &b[0] {
		t.Fatal("borrowed buffers are not distinct")
	}
	s.Put(a)
	s.Put(b)
	if c := s.Get(40); &c[0] != &b[0] || len(c) != 40 {
		t.Error("Get(40) did not reuse the smallest fitting buffer")
	} else {
		s.Put(c)
	}
	if c := s.Get(80); &c[0] != &a[0] {
		t.Error("Get(80) did not reuse the buffer of 100")
	} else {
		s.Put(c)
	}
	big := s.Get(1000)
	if len(s.free) != 1 || cap(s.free[0]) != 50 {
		t.Errorf("after a larger Get, free holds %d buffers, want the one of 50", len(s.free))
	}
	s.Put(big)
	if len(s.free) != 2 || cap(s.free[1]) != 1000 {
		t.Error("free is not sorted by capacity")
	}
}
