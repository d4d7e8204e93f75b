package chain

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/inference/tensor"
)

func testCredentials(t testing.TB) *chainauth.Credentials {
	t.Helper()
	b, err := chainauth.Generate("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chainauth.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// forgeries are the frames an attacker sends to a chain listener: an
// error about the whole chain, errors and data for random ids, and data
// frames with the shapes the listener expects.
func forgeries(s *sliced) []*Frame {
	var random RequestID
	_, _ = rand.Read(random[:])
	fs := []*Frame{
		{Kind: KindError, ID: BrokenChainID, ErrStage: 1, Err: "forged: the chain is broken"},
		{Kind: KindError, ID: random, ErrStage: 0, Err: "forged error"},
	}
	for _, st := range s.stages {
		f := &Frame{Kind: KindData, ID: random, ErrStage: -1}
		for _, v := range expectUnion(st.Partition.Inputs, st.Partition.Forward) {
			f.Tensors = append(f.Tensors, NamedTensor{Name: v.Name, Tensor: tensor.New(v.DType, v.Shape...)})
		}
		fs = append(fs, f)
	}
	out := &Frame{Kind: KindData, ID: random, ErrStage: -1}
	for _, v := range s.a.Outputs {
		out.Tensors = append(out.Tensors, NamedTensor{Name: v.Name, Tensor: tensor.New(v.DType, v.Shape...)})
	}
	return append(fs, out)
}

// attack sends forgeries to addr until ctx ends: in plain TCP, and over
// TLS with credentials of another authority. It counts frames written.
func attack(ctx context.Context, addr string, frames []*Frame, other *tls.Config, sent *atomic.Int64) {
	for ctx.Err() == nil {
		for _, useTLS := range []bool{false, true} {
			d := net.Dialer{Timeout: time.Second}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				continue
			}
			conn := c
			if useTLS {
				tc := tls.Client(c, other)
				_ = tc.SetDeadline(time.Now().Add(time.Second))
				_ = tc.HandshakeContext(ctx) // fails at the server's end; send anyway
				conn = tc
			}
			_ = conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			for _, f := range frames {
				// Each frame on a fresh id, as an attacker guessing would.
				_, _ = rand.Read(f.ID[:])
				if f.Err == "forged: the chain is broken" {
					f.ID = BrokenChainID
				}
				if _, err := WriteFrame(conn, f); err == nil {
					sent.Add(1)
				}
			}
			_ = c.Close()
		}
	}
}

// TestUnauthenticatedFramesChangeNothing: with chain credentials, forged
// error and data frames sent to every chain listener while clients run
// requests fail none of them and change no answer.
func TestUnauthenticatedFramesChangeNothing(t *testing.T) {
	s := tinySliced(t, 3)
	tc := startChain(t, s, chainOptions{timeout: 20 * time.Second, report: true, auth: testCredentials(t)})
	other := testCredentials(t).ClientConfig()
	frames := forgeries(s)

	ctx, stop := context.WithCancel(context.Background())
	var attackers sync.WaitGroup
	var sent atomic.Int64
	for _, addr := range append(append([]string(nil), tc.addrs...), tc.ret) {
		attackers.Add(1)
		go func() { defer attackers.Done(); attack(ctx, addr, frames, other, &sent) }()
	}
	const clients, perClient = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				in := s.sample(uint64(100*c + i))
				outs, err := tc.gw.Infer(context.Background(), in)
				if err != nil {
					errs <- err
					continue
				}
				sameBits(t, "answer under attack", outs[s.a.Outputs[0].Name], s.want(t, in))
			}
		}()
	}
	wg.Wait()
	stop()
	attackers.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("request failed under attack: %v", err)
	}
	if sent.Load() == 0 {
		t.Fatal("the attackers sent nothing: the test proves nothing")
	}
	if n := tc.gw.m.errors.with("handshake").value(); n == 0 {
		t.Error("the gateway's return listener saw no failed handshake")
	}
	t.Logf("%d forged frames written during %d requests", sent.Load(), clients*perClient)
}
