package chain

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// BenchmarkHop measures one hop (a Link sending data frames to a listener
// that reads them with the manifest's limits) with and without mutual TLS,
// in the same run: compare the plain and tls lines of one size.
func BenchmarkHop(b *testing.B) {
	creds := testCredentials(b)
	for _, size := range []int{64 << 10, 1 << 20, 8 << 20} {
		for _, mode := range []struct {
			name string
			auth *chainauth.Credentials
		}{{"plain", nil}, {"tls", creds}} {
			b.Run(fmt.Sprintf("%s/%dKiB", mode.name, size>>10), func(b *testing.B) {
				benchHop(b, size, mode.auth)
			})
		}
	}
}

func benchHop(b *testing.B, size int, auth *chainauth.Credentials) {
	shape := []int{1, size / 4}
	lim := Limits{Expect: []slice.Value{{Name: "x", DType: tensor.Float32, Shape: shape}}}.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 1024)
	o := acceptOptions{}
	if auth != nil {
		o.tls = auth.ServerConfig()
	}
	go func() {
		_ = serveConns(ctx, ln, o, func(c net.Conn) {
			r := bufio.NewReaderSize(c, 64<<10)
			for {
				if _, _, err := ReadFrame(r, lim); err != nil {
					return
				}
				got <- struct{}{}
			}
		})
	}()
	link := NewLink(ln.Addr().String(), LinkOptions{Auth: auth}, nil)
	defer link.Close()
	f := &Frame{Kind: KindData, ErrStage: -1, Tensors: []NamedTensor{{Name: "x", Tensor: tensor.New(tensor.Float32, shape...)}}}
	if _, err := link.Send(ctx, f); err != nil { // dial and handshake outside the timing
		b.Fatal(err)
	}
	<-got
	b.SetBytes(int64(size))
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			<-got
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		if _, err := link.Send(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// BenchmarkChainAuthOverhead runs ResNet18 in three partitions on two
// chains, one plain and one with mutual TLS on every hop, alternately in
// the same run, and reports each chain's transport overhead per hop (its
// time minus the partitions' compute) and their ratio.
func BenchmarkChainAuthOverhead(b *testing.B) {
	s := zooSliced(b, "resnet18", 3)
	plain := startChain(b, s, chainOptions{timeout: 5 * time.Minute})
	auth := startChain(b, s, chainOptions{timeout: 5 * time.Minute, auth: testCredentials(b)})
	in := s.sample(1)
	ctx := context.Background()
	overhead := func(tc *testChain) time.Duration {
		start := time.Now()
		_, timings, err := tc.gw.infer(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		for _, tm := range timings {
			d -= tm.Compute
		}
		return d
	}
	overhead(plain) // connect and warm up
	overhead(auth)
	var p, a time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 { // alternate the order: the second of a pair may find caches warm
			p += overhead(plain)
			a += overhead(auth)
		} else {
			a += overhead(auth)
			p += overhead(plain)
		}
	}
	hops := float64(len(s.stages) + 1)
	perHop := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) / hops }
	b.ReportMetric(perHop(p), "plain-ms/hop")
	b.ReportMetric(perHop(a), "tls-ms/hop")
	b.ReportMetric(perHop(a)/perHop(p), "tls/plain")
	b.ReportMetric(float64(s.hopBytes())/1e6, "MB-moved")
}
