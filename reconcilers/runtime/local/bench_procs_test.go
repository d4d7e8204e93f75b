package local

import (
	"context"
	"testing"
)

// BenchmarkProcs measures one scan of /proc for this runtime's processes
// (done by Adopt, Clean and the recovery of a damaged record, never per
// List).
func BenchmarkProcs(b *testing.B) {
	r := &Runtime{cfg: Config{Dir: b.TempDir()}}
	for b.Loop() {
		if _, err := r.procs(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList measures List of a model with two serving workloads (it
// reads /proc/net/tcp once to tell serving from starting).
func BenchmarkList(b *testing.B) {
	b.Setenv(fakeNodeEnv, "serve")
	r, err := New(Config{NodeBinary: testBinary(), Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Clean(context.Background(), "") })
	for _, w := range []string{"p0", "p1"} {
		i := 0
		if w == "p1" {
			i = 1
		}
		if _, err := r.Apply(context.Background(), partition("m", i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := r.List(context.Background(), "m"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListeningPorts measures one read of /proc/net/tcp.
func BenchmarkListeningPorts(b *testing.B) {
	for b.Loop() {
		if listeningPorts() == nil {
			b.Fatal("no port table")
		}
	}
}
