package swarm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// TestSwarmChainAuthenticated runs the real papdl-node chain (MNIST in two
// partitions on node2 and node3, the gateway on node1) on the model's
// overlay, every hop mutual TLS with the model's secret, the
// gateway requiring a token: requests with the token get the monolithic
// answer, requests without it get 401.
func TestSwarmChainAuthenticated(t *testing.T) {
	requireSwarm(t)
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "papdl-node"), "../../../cmd/papdl-node")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build papdl-node: %v\n%s", err, out)
	}
	// newBed turns overlay encryption off: the test bed carries no IPsec
	// between nodes (TestSwarmApplyLifecycle checks the encrypted network).
	b := newBed(t, filepath.Join(dir, "papdl-node"), Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	m, err := zoo.Generate("mnist", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	cuts, err := a.EvenCuts(2)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := a.Partition(cuts)
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(dir, "parts")
	man, err := slice.Write(art, a, parts, "")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("chain-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gwName := GatewayName(b.model)
	var ws []runtime.Workload
	for i, p := range man.Partitions {
		next := gwName
		if i+1 < len(man.Partitions) {
			next = runtime.WorkloadName(b.model, i+1)
		}
		ws = append(ws, runtime.Workload{Name: runtime.WorkloadName(b.model, i), Model: b.model, Role: runtime.RolePartition,
			Partition: i, Node: b.node(t, fmt.Sprintf("node%d", i+2)).ID, Revision: "r1", ManifestPath: filepath.Join(art, slice.ManifestFile),
			ArtifactPath: filepath.Join(art, p.File), ArtifactSHA256: p.SHA256, Next: next})
	}
	gw := runtime.Workload{Name: gwName, Model: b.model, Role: runtime.RoleGateway, Partition: -1, Node: b.node(t, "node1").ID,
		Revision: "r1", ManifestPath: filepath.Join(art, slice.ManifestFile), Next: ws[0].Name, Port: 18766, TokenFile: tokenFile}
	ws = append(ws, gw)
	for _, w := range ws {
		if _, err := b.rt.Apply(ctx, w); err != nil {
			t.Fatalf("apply %s: %v", w.Name, err)
		}
	}
	for _, w := range ws {
		waitRunning(ctx, t, b.rt, w)
	}
	// The gateway starts without a route: the controller's copy of the
	// model's credentials signs one, sent to the published port.
	written, err := slice.ReadManifest(art)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		st, err := b.rt.Route(ctx, gw, ws[0], written.SHA256)
		if err == nil && st.Pending == nil && st.Current != nil && st.Current.ManifestSHA256 == written.SHA256 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not take its route: %+v, %v", st, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	url, err := b.rt.Endpoint(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	in := profile.SampleInput(a.Inputs[0].DType, a.Inputs[0].Shape, 3)
	body, err := npy.EncodeBytes(in)
	if err != nil {
		t.Fatal(err)
	}
	post := func(token string) (int, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/input", bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	var code int
	var got []byte
	for deadline := time.Now().Add(time.Minute); ; {
		code, got, err = post("chain-t0ken")
		if (err == nil && code == http.StatusOK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil || code != http.StatusOK {
		for _, w := range ws {
			_, stderr, lerr := b.rt.serviceOutput(ctx, w.Name)
			if len(stderr) > 3000 {
				stderr = stderr[len(stderr)-3000:]
			}
			t.Logf("%s logs (%v):\n%s", w.Name, lerr, stderr)
		}
		t.Fatalf("POST /input with the token: %d %q %v", code, got, err)
	}
	outT, err := npy.DecodeBytes(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(outT.Float32s()) != a.Outputs[0].Shape[len(a.Outputs[0].Shape)-1] {
		t.Errorf("answer %s, want %s%v", outT, a.Outputs[0].DType, a.Outputs[0].Shape)
	}
	// Partitions listen on their overlay address only (the container's
	// hostname), not on every interface of the container.
	for _, w := range ws[:len(ws)-1] {
		_, stderr, err := b.rt.serviceOutput(ctx, w.Name)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`"msg":"partition server listening".*?"addr":"([^"]+)"`).FindSubmatch(stderr)
		if m == nil {
			t.Fatalf("%s: no listening line in %s", w.Name, stderr)
		}
		host, _, _ := net.SplitHostPort(string(m[1]))
		ip := net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
			t.Errorf("%s listens on %s, want its overlay address", w.Name, m[1])
		}
		t.Logf("%s listens on %s", w.Name, m[1])
	}
	if code, got, err := post(""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("POST /input without the token: %d %q %v, want 401", code, got, err)
	}
	t.Logf("the authenticated chain answered %s", outT)
}
