package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// revision is a second chain (another model revision: other weights, other
// cuts) whose last partition reports to an existing gateway, with its
// manifest written where the gateway can read it.
type revision struct {
	s        *sliced
	spec     RouteSpec
	servers  []*runningServer
	addrs    []string
	manifest string
}

func startRevision(t *testing.T, tc *testChain, seed uint64, cuts []int, o chainOptions) *revision {
	t.Helper()
	s := sliceModel(t, tinyResNet(seed), cuts)
	parts, err := s.a.Partition(cuts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := slice.Write(dir, s.a, parts, "model"); err != nil {
		t.Fatal(err)
	}
	man, err := slice.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	rev := &revision{s: s, manifest: dir + "/" + slice.ManifestFile}
	lns := make([]net.Listener, len(s.stages))
	for i := range lns {
		lns[i] = listen(t, "127.0.0.1:0")
		rev.addrs = append(rev.addrs, lns[i].Addr().String())
	}
	for i, st := range s.stages {
		next := tc.ret
		if i+1 < len(s.stages) {
			next = rev.addrs[i+1]
		}
		cfg := ServerConfig{Stage: st, Next: next, Return: tc.ret, Auth: o.auth, Limits: o.limits,
			Link: LinkOptions{RedialInterval: 20 * time.Millisecond}}
		rev.servers = append(rev.servers, tc.run(cfg, lns[i]))
	}
	t.Cleanup(func() {
		for _, rs := range rev.servers {
			rs.cancel()
			<-rs.done
		}
	})
	rev.spec = RouteSpec{Manifest: rev.manifest, ManifestSHA256: man.SHA256, First: rev.addrs[0], Issued: time.Now().UnixNano()}
	return rev
}

func putRoute(t *testing.T, url string, body any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, url+RoutePath, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRouteSwitchLosesNothing: clients keep sending while the gateway is
// told (over HTTP, signed) to switch to another revision's chain, and the
// old chain is stopped right after the switch, as the controller does.
// Every request succeeds, every answer is bitwise the old or the new
// model's, and requests sent after the switch get the new model's.
func TestRouteSwitchLosesNothing(t *testing.T) {
	creds := testCredentials(t)
	o := chainOptions{auth: creds, report: true}
	old := tinySliced(t, 2)
	tc := startChain(t, old, o)
	rev := startRevision(t, tc, 2, nil, o) // other weights, one partition

	// Refused routes change nothing: unsigned, signed by another model's
	// credentials, garbage.
	other := testCredentials(t)
	forged, err := SignRoute(other, "m", rev.spec)
	if err != nil {
		t.Fatal(err)
	}
	if code := putRoute(t, tc.http.URL, forged); code != http.StatusUnauthorized {
		t.Fatalf("route signed by another authority: %d, want 401", code)
	}
	if code := putRoute(t, tc.http.URL, SignedRoute{Route: []byte(`{}`)}); code != http.StatusUnauthorized {
		t.Fatalf("unsigned route: %d, want 401", code)
	}
	wrongModel, _ := SignRoute(creds, "other-model", rev.spec)
	if code := putRoute(t, tc.http.URL, wrongModel); code != http.StatusUnauthorized {
		t.Fatalf("route signed for another model's gateway: %d, want 401", code)
	}
	if st := tc.gw.RouteStatus(); st.Pending != nil {
		t.Fatalf("a refused route is pending: %+v", st)
	}

	in := old.sample(3)
	wantOld, wantNew := old.want(t, in), rev.s.want(t, in)
	var sent, failed, oldAfter atomic.Int64
	var switched atomic.Bool
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				after := switched.Load()
				outs, err := tc.gw.Infer(context.Background(), in)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					t.Errorf("request failed: %v", err)
					continue
				}
				got := outs[old.a.Outputs[0].Name]
				gb, _ := got.RawBytes()
				ob, _ := wantOld.RawBytes()
				nb, _ := wantNew.RawBytes()
				switch {
				case bytes.Equal(gb, nb):
				case bytes.Equal(gb, ob):
					if after {
						oldAfter.Add(1)
					}
				default:
					t.Errorf("an answer is neither the old nor the new model's: %s", got)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	signed, err := SignRoute(creds, "m", rev.spec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := PushRoute(context.Background(), nil, tc.http.URL, signed)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending == nil || st.Pending.ManifestSHA256 != rev.spec.ManifestSHA256 {
		t.Fatalf("after the push: %+v, want the new route pending", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := tc.gw.RouteStatus()
		if st.Current != nil && st.Current.ManifestSHA256 == rev.spec.ManifestSHA256 && st.Pending == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not switch: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	switched.Store(true)
	// The old chain goes, as the controller removes it once the gateway
	// reports the new manifest.
	for i := range tc.servers {
		tc.kill(i)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	t.Logf("%d requests, %d failed, %d old answers after the switch", sent.Load(), failed.Load(), oldAfter.Load())
	if failed.Load() != 0 || oldAfter.Load() != 0 {
		t.Fatalf("%d of %d requests failed, %d old answers after the switch", failed.Load(), sent.Load(), oldAfter.Load())
	}
	// The readiness answer names the new revision.
	resp, err := http.Get(tc.http.URL + "/v2/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get(HeaderManifestSHA256); resp.StatusCode != http.StatusOK || got != rev.spec.ManifestSHA256 {
		t.Fatalf("ready: %d, manifest %q, want 200 and %q", resp.StatusCode, got, rev.spec.ManifestSHA256)
	}
	// A route older than the current one is refused (no roll back by
	// sending a recorded route again).
	older := rev.spec
	older.First, older.Issued = tc.addrs[0], rev.spec.Issued-1
	olderSigned, _ := SignRoute(creds, "m", older)
	if code := putRoute(t, tc.http.URL, olderSigned); code != http.StatusConflict {
		t.Fatalf("an older route: %d, want 409", code)
	}
}

// TestRoutelessGatewayHoldsRequests: a gateway started without a route
// holds requests until its first route is taken, within their deadline.
func TestRoutelessGatewayHoldsRequests(t *testing.T) {
	creds := testCredentials(t)
	s := tinySliced(t, 2)
	gw, err := NewGateway(GatewayConfig{ModelName: "m", Auth: creds, Link: LinkOptions{RedialInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ret := listen(t, "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = gw.ServeReturns(ctx, ret) }()
	tc := &testChain{t: t, gw: gw, ret: ret.Addr().String(), ctx: ctx}
	rev := startRevision(t, tc, 1, nil, chainOptions{auth: creds})
	in := s.sample(4)
	done := make(chan error, 1)
	var got map[string]*tensor.Tensor
	go func() {
		var err error
		got, err = gw.Infer(context.Background(), in)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if err := gw.Ready(context.Background()); err == nil {
		t.Fatal("a gateway without a route says it is ready")
	}
	if _, err := gw.Propose(rev.spec); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("held request: %v", err)
	}
	sameBits(t, "held request", got[s.a.Outputs[0].Name], rev.s.want(t, in))
}
