package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
)

func tinySliced(t testing.TB, parts int) *sliced {
	t.Helper()
	s := sliceModel(t, tinyResNet(1), nil)
	cuts, err := s.a.EvenCuts(parts)
	if err != nil {
		t.Fatal(err)
	}
	if parts == 2 {
		cuts = residualCuts(s.a, 1)
	}
	return sliceModel(t, tinyResNet(1), cuts)
}

func resnetSliced(t testing.TB, parts int) *sliced {
	t.Helper()
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := sliceModel(t, m, nil)
	return sliceModel(t, m, residualCuts(s.a, parts-1))
}

// sample is a deterministic input for the model's single input.
func (s *sliced) sample(seed uint64) map[string]*tensor.Tensor {
	v := s.a.Inputs[0]
	return map[string]*tensor.Tensor{v.Name: profile.SampleInput(v.DType, v.Shape, seed)}
}

func (s *sliced) want(t testing.TB, in map[string]*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	outs, err := s.mono.Run(context.Background(), in)
	if err != nil {
		t.Fatalf("monolithic run: %v", err)
	}
	return outs[s.a.Outputs[0].Name]
}

func postNPY(t testing.TB, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/input", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /input: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /input response: %v", err)
	}
	return resp.StatusCode, b
}

func TestChainMatchesMonolithic(t *testing.T) {
	cases := []struct {
		name  string
		model func(testing.TB) *sliced
		runs  int
	}{
		{"tiny-2-parts-inside-residual", func(t testing.TB) *sliced { return tinySliced(t, 2) }, 4},
		{"tiny-4-parts", func(t testing.TB) *sliced { return tinySliced(t, 4) }, 4},
		{"resnet18-4-parts-inside-residual", func(t testing.TB) *sliced { return resnetSliced(t, 4) }, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.model(t)
			forwarded := 0
			for _, st := range s.stages {
				forwarded += len(st.Partition.Forward)
				if st.Partition.Index > 0 && len(st.Partition.Inputs) < 2 && c.name != "tiny-4-parts" {
					t.Errorf("partition %d reads %d tensors; the cut should be inside a residual block", st.Partition.Index, len(st.Partition.Inputs))
				}
			}
			tc := startChain(t, s, chainOptions{timeout: 60 * time.Second})
			for i := 0; i < c.runs; i++ {
				in := s.sample(uint64(i + 1))
				want := s.want(t, in)
				if i%2 == 0 {
					outs, err := tc.gw.Infer(context.Background(), in)
					if err != nil {
						t.Fatalf("run %d: %v", i, err)
					}
					sameBits(t, fmt.Sprintf("run %d", i), outs[s.a.Outputs[0].Name], want)
					continue
				}
				body, err := npy.EncodeBytes(in[s.a.Inputs[0].Name])
				if err != nil {
					t.Fatal(err)
				}
				code, resp := postNPY(t, tc.http.URL, body)
				if code != http.StatusOK {
					t.Fatalf("run %d: HTTP %d: %s", i, code, resp)
				}
				got, err := npy.DecodeBytes(resp)
				if err != nil {
					t.Fatalf("run %d: response is not .npy: %v", i, err)
				}
				sameBits(t, fmt.Sprintf("run %d over HTTP", i), got, want)
			}
		})
	}
}

func TestConcurrentClients(t *testing.T) {
	s := resnetSliced(t, 3)
	const clients, each = 16, 2
	wants := make([]*tensor.Tensor, clients*each)
	for i := range wants {
		wants[i] = s.want(t, s.sample(uint64(100+i)))
	}
	tc := startChain(t, s, chainOptions{timeout: 60 * time.Second, maxInFlight: 6})
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				i := c*each + k
				outs, err := tc.gw.Infer(context.Background(), s.sample(uint64(100+i)))
				if err != nil {
					errs <- fmt.Errorf("client %d request %d: %w", c, k, err)
					continue
				}
				gb, _ := outs[s.a.Outputs[0].Name].RawBytes()
				wb, _ := wants[i].RawBytes()
				if !bytes.Equal(gb, wb) {
					errs <- fmt.Errorf("client %d request %d: output differs from the monolithic run", c, k)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var metrics bytes.Buffer
	if err := tc.gw.WriteMetrics(&metrics); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`papdl_stage_compute_seconds_count{stage="2"} 32`, "papdl_gateway_inference_seconds_count 32"} {
		if !bytes.Contains(metrics.Bytes(), []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestPartitionRestartUnderLoad kills the middle partition while clients
// keep sending, then restarts it: every request must end (success or
// error), failures must be the expected kinds, and the chain must recover.
// TestPartitionRestartUnderLoad kills a partition under load and starts
// it again: the gateway holds the requests whose chain broke and replays
// them, so no client sees a failure and every answer is the monolithic
// output.
func TestPartitionRestartUnderLoad(t *testing.T) {
	// Partitions report broken hops to the gateway (as both runtimes
	// configure them): without reports, a request lost inside the chain
	// can only end at its deadline.
	for _, report := range []bool{true} {
		t.Run(fmt.Sprintf("report=%v", report), func(t *testing.T) {
			s := tinySliced(t, 3)
			tc := startChain(t, s, chainOptions{timeout: 20 * time.Second, maxInFlight: 8, report: report})
			want := s.want(t, s.sample(7))
			var ok atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 1024)
			for c := 0; c < 8; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						outs, err := tc.gw.Infer(context.Background(), s.sample(7))
						if err != nil {
							errs <- err
							continue
						}
						gb, _ := outs[s.a.Outputs[0].Name].RawBytes()
						wb, _ := want.RawBytes()
						if !bytes.Equal(gb, wb) {
							errs <- errors.New("output differs from the monolithic run")
						}
						ok.Add(1)
					}
				}()
			}
			waitFor(t, "first successes", func() bool { return ok.Load() >= 20 })
			tc.kill(1)
			waitFor(t, "requests held while partition 1 is down", func() bool { return tc.gw.m.held.value() > 0 })
			if err := tc.gw.Ready(context.Background()); err == nil {
				t.Error("gateway ready while partition 1 is down")
			}
			tc.restart(1)
			ok0 := ok.Load()
			waitFor(t, "successes after the restart", func() bool { return ok.Load() >= ok0+20 })
			close(stop)
			wg.Wait() // every request returned: none hangs
			close(errs)
			for err := range errs {
				t.Errorf("a client saw a failure: %v", err)
			}
			if tc.gw.m.replays.value() == 0 {
				t.Error("no request was replayed: the test did not break the chain under load")
			}
			waitFor(t, "readiness after the restart", func() bool { return tc.gw.Ready(context.Background()) == nil })
		})
	}
}

// waitFor polls cond; it fails the test after a generous bound so that a
// broken chain fails instead of hanging (this is a hang guard, not a
// speed assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func TestPartitionFailureReachesGateway(t *testing.T) {
	s := tinySliced(t, 3)
	st := s.stages[1]
	// Partition 1 computes its outputs, then finds one of the wrong shape
	// (as if the manifest and the partition file disagreed).
	st.Partition.Outputs = append(st.Partition.Outputs[:0:0], st.Partition.Outputs...)
	out := &st.Partition.Outputs[0]
	out.Shape = append([]int{7}, out.Shape[1:]...)
	s.stages[1] = st
	tc := startChain(t, s, chainOptions{timeout: 10 * time.Second})
	_, err := tc.gw.Infer(context.Background(), s.sample(1))
	var re *RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a RemoteError", err)
	}
	want := fmt.Sprintf(`partition 1: tensor %q is`, out.Name)
	if re.Stage != 1 || !strings.Contains(re.Msg, want) {
		t.Errorf("error frame says stage %d %q, want %q", re.Stage, re.Msg, want)
	}
	body, _ := npy.EncodeBytes(s.sample(1)[s.a.Inputs[0].Name])
	if code, resp := postNPY(t, tc.http.URL, body); code != http.StatusBadGateway || !bytes.Contains(resp, []byte(out.Name)) {
		t.Errorf("HTTP %d %q, want 502 naming the tensor", code, resp)
	}
}

// TestBrokenChainReplaysRequestsInFlight sends requests into a partition 0
// that swallows them, then breaks the chain in the two ways the data plane
// reports: a partition's error frame about its broken next hop, and the
// gateway's own connection to partition 0 closing. Each time the request in
// flight is sent again (not failed, not left to wait for its lost answer),
// and when the chain never comes back it fails at its deadline naming the
// reason.
func TestBrokenChainReplaysRequestsInFlight(t *testing.T) {
	s := tinySliced(t, 2)
	tests := []struct {
		name  string
		brk   func(t *testing.T, ret string, swallowed net.Conn)
		wants string
	}{
		{"partition reports broken hop", func(t *testing.T, ret string, _ net.Conn) {
			c, err := net.Dial("tcp", ret)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			f := &Frame{Kind: KindError, ID: BrokenChainID, ErrStage: 1, Err: "partition 1: lost the connection to p2"}
			if _, err := WriteFrame(c, f); err != nil {
				t.Fatal(err)
			}
		}, "lost the connection to p2"},
		{"partition 0 dies", func(t *testing.T, _ string, swallowed net.Conn) { swallowed.Close() }, "lost the connection to partition 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hole := listen(t, "127.0.0.1:0") // partition 0 that reads and never answers
			defer hole.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := hole.Accept()
				if err == nil {
					accepted <- c
					_, _ = io.Copy(io.Discard, c)
				}
			}()
			retLn := listen(t, "127.0.0.1:0")
			gw, err := NewGateway(GatewayConfig{ModelName: "m", Inputs: s.a.Inputs, Outputs: s.a.Outputs,
				First: hole.Addr().String(), Stages: 2, Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = gw.ServeReturns(ctx, retLn) }()
			done := make(chan error, 1)
			go func() { _, err := gw.Infer(context.Background(), s.sample(1)); done <- err }()
			var swallowed net.Conn
			select {
			case swallowed = <-accepted:
			case <-time.After(10 * time.Second):
				t.Fatal("the gateway never connected to partition 0")
			}
			waitFor(t, "the request to be in flight", func() bool {
				gw.mu.Lock()
				defer gw.mu.Unlock()
				return len(gw.pending) == 1
			})
			tc.brk(t, retLn.Addr().String(), swallowed)
			waitFor(t, "the request to be replayed", func() bool { return gw.m.replays.value() > 0 })
			select {
			case err := <-done:
				if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), tc.wants) {
					t.Fatalf("Infer = %v, want a deadline error naming %q", err, tc.wants)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the request never ended")
			}
		})
	}
}
