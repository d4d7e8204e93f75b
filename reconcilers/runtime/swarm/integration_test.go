package swarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// The tests below run against the real engine and the real multi-node
// swarm of hack/swarm-up.sh (manager + node1..node3).

// testbedHostIP is the host's address on the test bed's bridge, which
// every node and container reaches.
const testbedHostIP = "10.99.0.1"

type bed struct {
	rt     *Runtime
	nodes  map[string]runtime.Node // by hostname
	model  string
	arts   *ArtifactServer
	binary string
}

func requireSwarm(t *testing.T) {
	t.Helper()
	if os.Getenv("PAPDL_SWARM_TESTS") != "1" {
		t.Skip("swarm integration test: set PAPDL_SWARM_TESTS=1 after running hack/swarm-up.sh (needs root and a real multi-node swarm)")
	}
}

// buildStatic builds a static Go program of this module into dir.
func buildStatic(t *testing.T, pkg, dir string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// testbedEngines finds the node engines hack/swarm-up.sh started.
func testbedEngines(t *testing.T) map[string]string {
	socks, _ := filepath.Glob("/run/papdl-node*/docker.sock")
	m := map[string]string{}
	for _, s := range socks {
		m[strings.TrimPrefix(filepath.Base(filepath.Dir(s)), "papdl-")] = "unix://" + s
	}
	if len(m) == 0 {
		t.Fatal("no /run/papdl-node*/docker.sock: run hack/swarm-up.sh first")
	}
	return m
}

func newBed(t *testing.T, binary string, cfg Config) *bed {
	t.Helper()
	log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	ln, err := net.Listen("tcp", testbedHostIP+":0")
	if err != nil {
		t.Fatalf("listen on the test bed bridge: %v", err)
	}
	arts, err := NewArtifactServer("http://"+ln.Addr().String()+"/artifacts", log)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: arts, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	cfg.NodeBinary, cfg.NodeEngines, cfg.Artifacts = binary, testbedEngines(t), arts
	// The test bed's nodes carry no IPsec between them: an encrypted
	// overlay passes no traffic from node to node (docs/security.md).
	cfg.PlainOverlay = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	nodes, err := rt.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{rt: rt, nodes: map[string]runtime.Node{}, arts: arts, binary: binary}
	for _, n := range nodes {
		b.nodes[n.Hostname] = n
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	b.model = "itest-" + hex.EncodeToString(rnd[:])
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		if err := rt.Clean(cctx, b.model); err != nil {
			t.Errorf("clean %s: %v", b.model, err)
		}
	})
	return b
}

func (b *bed) node(t *testing.T, host string) runtime.Node {
	t.Helper()
	n, ok := b.nodes[host]
	if !ok {
		t.Fatalf("node %s not in the swarm (run hack/swarm-up.sh 3)", host)
	}
	return n
}

// waitRunning polls List until the workload runs with the wanted hash.
func waitRunning(ctx context.Context, t *testing.T, rt *Runtime, w runtime.Workload) runtime.Observed {
	t.Helper()
	start := time.Now()
	var last runtime.Observed
	for {
		obs, err := rt.List(ctx, w.Model)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.Name == w.Name {
				last = o
				if o.Running && o.Hash == w.Hash() {
					t.Logf("%s running after %s", w.Name, time.Since(start).Round(time.Millisecond))
					return o
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not running: %+v", w.Name, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func TestSwarmNodes(t *testing.T) {
	requireSwarm(t)
	b := newBed(t, buildStatic(t, "./testdata/fakenode", t.TempDir()), Config{})
	tests := []struct {
		host string
		cpus float64
		mem  int64
	}{
		{"node1", 0.5, 1 << 30}, {"node2", 1, 2 << 30}, {"node3", 2, 4 << 30},
	}
	for _, tt := range tests {
		n := b.node(t, tt.host)
		if n.CPUs != tt.cpus || n.MemoryBytes != tt.mem || !n.Ready || n.Labels[LabelNode] != tt.host || n.ID == "" || n.Arch == "" {
			t.Errorf("%s = %+v, want %.1f CPUs, %d bytes, ready", tt.host, n, tt.cpus, tt.mem)
		}
	}
	if len(b.nodes) < 4 {
		t.Errorf("want the manager and 3 workers, got %d nodes", len(b.nodes))
	}
}

// serveCommand runs fakenode's HTTP server; partitions fetch and verify
// their artifact first.
func serveCommand(w runtime.Workload, a Artifacts) []string {
	port := 8080
	if w.Port > 0 {
		port = w.Port
	}
	args := []string{"serve", "--listen", ":" + strconv.Itoa(port), "--name", w.Name}
	if a.Partition != "" {
		args = append(args, "--fetch", a.Partition, "--sha256", w.ArtifactSHA256)
	}
	if w.Next == "exit-soon" {
		args = append(args, "--exit-after", "1s")
	}
	return args
}

func TestSwarmApplyLifecycle(t *testing.T) {
	requireSwarm(t)
	b := newBed(t, buildStatic(t, "./testdata/fakenode", t.TempDir()), Config{Command: serveCommand})
	// This test needs no traffic between nodes on the overlay: check that
	// the model's network is created encrypted.
	b.rt.cfg.PlainOverlay = false
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n1, n2 := b.node(t, "node1"), b.node(t, "node2")

	dir := t.TempDir()
	part := filepath.Join(dir, "part-000.onnx")
	if err := os.WriteFile(part, []byte("pretend weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := fileSHA256(ctx, part)
	if err != nil {
		t.Fatal(err)
	}
	p0 := runtime.Workload{Name: "papdl-" + b.model + "-p0", Model: b.model, Role: runtime.RolePartition, Partition: 0,
		Node: n2.ID, Revision: "r1", ArtifactPath: part, ArtifactSHA256: sum, Next: GatewayName(b.model),
		MemoryReservation: 16 << 20}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gw := runtime.Workload{Name: GatewayName(b.model), Model: b.model, Role: runtime.RoleGateway, Partition: -1,
		Node: n1.ID, Revision: "r1", Next: p0.Name, Port: 18765, TokenFile: tokenFile}

	start := time.Now()
	for _, w := range []runtime.Workload{p0, gw} {
		changed, err := b.rt.Apply(ctx, w)
		if err != nil || !changed {
			t.Fatalf("apply %s: changed=%v err=%v", w.Name, changed, err)
		}
	}
	t.Logf("first apply (image build and load included): %s", time.Since(start).Round(time.Millisecond))
	waitRunning(ctx, t, b.rt, p0)
	waitRunning(ctx, t, b.rt, gw)

	if changed, err := b.rt.Apply(ctx, p0); err != nil || changed {
		t.Fatalf("re-apply unchanged: changed=%v err=%v", changed, err)
	}

	url, err := b.rt.Endpoint(ctx, gw)
	if err != nil || url != "http://10.99.0.11:18765" {
		t.Fatalf("endpoint %q, %v", url, err)
	}
	var got map[string]string
	for deadline := time.Now().Add(30 * time.Second); ; {
		got = nil
		resp, err := http.Get(url)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
		}
		if err == nil || time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got["name"] != gw.Name {
		t.Errorf("gateway answered %v", got)
	}
	// The gateway got its token and the model's chain credentials as
	// secrets, and the model's network is encrypted.
	if got["token"] != "t0ken\n" || got["credentialsMode"] != "-r--------" {
		t.Errorf("gateway secrets: token %q, credentials mode %q", got["token"], got["credentialsMode"])
	}
	encNets, err := b.rt.eng.NetworkList(ctx, network.ListOptions{Filters: labelFilter(LabelModel, b.model)})
	if err != nil || len(encNets) != 1 {
		t.Fatalf("networks of the model: %+v, %v", encNets, err)
	}
	if _, ok := encNets[0].Options[networkEncrypted]; !ok {
		t.Errorf("the model's network options %v lack %q", encNets[0].Options, networkEncrypted)
	}
	t.Logf("overlay network %s options %v", encNets[0].Name, encNets[0].Options)

	// A new revision with the same hash relabels without a restart.
	before := waitRunning(ctx, t, b.rt, p0)
	p0r := p0
	p0r.Revision = "r2"
	if changed, err := b.rt.Apply(ctx, p0r); err != nil || changed {
		t.Fatalf("apply new revision, same hash: changed=%v err=%v", changed, err)
	}
	if o := waitRunning(ctx, t, b.rt, p0r); o.Revision != "r2" || !o.Since.Equal(before.Since) {
		t.Errorf("after relabel: %+v (was %+v)", o, before)
	}

	p0b := p0r
	p0b.MemoryReservation = 32 << 20
	if changed, err := b.rt.Apply(ctx, p0b); err != nil || !changed {
		t.Fatalf("apply changed workload: changed=%v err=%v", changed, err)
	}
	o := waitRunning(ctx, t, b.rt, p0b)
	if o.MemoryReservation != 32<<20 || o.Hash != p0b.Hash() || o.Node != n2.ID {
		t.Errorf("after update: %+v", o)
	}

	// A task that exits 0 is not restarted by on-failure: Apply must.
	p0c := p0b
	p0c.Next = "exit-soon"
	if _, err := b.rt.Apply(ctx, p0c); err != nil {
		t.Fatal(err)
	}
	waitGivenUp(ctx, t, b.rt, p0c)
	if changed, err := b.rt.Apply(ctx, p0c); err != nil || !changed {
		t.Fatalf("apply to a finished service: changed=%v err=%v", changed, err)
	}

	if err := b.rt.Remove(ctx, p0.Name); err != nil {
		t.Fatal(err)
	}
	if err := b.rt.Remove(ctx, p0.Name); err != nil {
		t.Fatalf("remove missing: %v", err)
	}
	obs, err := b.rt.List(ctx, b.model)
	if err != nil || len(obs) != 1 || obs[0].Name != gw.Name {
		t.Fatalf("after remove: %+v, %v", obs, err)
	}

	if err := b.rt.Clean(ctx, b.model); err != nil {
		t.Fatal(err)
	}
	if obs, err := b.rt.List(ctx, b.model); err != nil || len(obs) != 0 {
		t.Fatalf("after clean: %+v, %v", obs, err)
	}
	nets, err := b.rt.eng.NetworkList(ctx, network.ListOptions{Filters: labelFilter(LabelModel, b.model)})
	if err != nil || len(nets) != 0 {
		t.Fatalf("networks after clean: %+v, %v", nets, err)
	}
	secrets, err := b.rt.eng.SecretList(ctx, swarm.SecretListOptions{Filters: labelFilter(LabelModel, b.model)})
	if err != nil || len(secrets) != 0 {
		t.Fatalf("secrets after clean: %+v, %v", secrets, err)
	}
}

// waitGivenUp waits until the service has no live task.
func waitGivenUp(ctx context.Context, t *testing.T, rt *Runtime, w runtime.Workload) {
	t.Helper()
	for {
		tasks, err := rt.serviceTasks(ctx, w.Name)
		if err != nil {
			t.Fatal(err)
		}
		live := false
		for _, tk := range tasks {
			live = live || !terminal(tk.Status.State)
		}
		if len(tasks) > 0 && !live {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s still has live tasks", w.Name)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func TestSwarmBenchmark(t *testing.T) {
	requireSwarm(t)
	bench := func(b BenchInvocation) []string {
		args := DefaultBenchCommand(b)
		if b.Node.Hostname == "node2" {
			args = append(args, "--fail")
		}
		return args
	}
	b := newBed(t, buildStatic(t, "./testdata/fakenode", t.TempDir()), Config{BenchCommand: bench,
		BenchmarkTimeout: time.Minute, StartTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nodes := []runtime.Node{b.node(t, "node1"), b.node(t, "node2"), b.node(t, "node3")}
	var lines []string
	res, err := b.rt.Benchmark(ctx, runtime.BenchmarkRequest{Model: b.model, Nodes: nodes,
		Progress: func(node, msg string) { lines = append(lines, node+": "+msg) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("progress:\n%s", strings.Join(lines, "\n"))
	if len(res.Failed) != 1 || res.Failed["node2"] == nil {
		t.Errorf("failed = %v, want node2 only", res.Failed)
	}
	p := res.Profile
	if len(p.Nodes) != 2 || p.Nodes[0].Hostname != "node1" || p.Nodes[1].Hostname != "node3" {
		t.Fatalf("profile nodes = %+v", p.Nodes)
	}
	if u := p.Nodes[0].Units; len(u) != 1 || u[0].Name != "u0" || u[0].MemoryBytes != 2024 { // 2 x 1000 weight bytes + 24 working bytes
		t.Errorf("units = %+v", u)
	}
	if len(p.Links) != 2 {
		t.Fatalf("links = %+v, want node1<->node3", p.Links)
	}
	for _, l := range p.Links {
		if l.RTTSeconds <= 0 || l.BandwidthBytesPerSecond <= 0 {
			t.Errorf("link %+v", l)
		}
	}
	svcs, err := b.rt.List(ctx, b.model)
	if err != nil || len(svcs) != 0 {
		t.Errorf("benchmark left workloads: %+v %v", svcs, err)
	}
}

// TestSwarmBenchmarkNodeBinary runs the real papdl-node bench (links only)
// when cmd/papdl-node builds.
func TestSwarmBenchmarkNodeBinary(t *testing.T) {
	requireSwarm(t)
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "papdl-node"), "../../../cmd/papdl-node")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cmd/papdl-node does not build yet: %v\n%s", err, out)
	}
	b := newBed(t, filepath.Join(dir, "papdl-node"), Config{BenchmarkTimeout: 2 * time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nodes := []runtime.Node{b.node(t, "node1"), b.node(t, "node3")}
	res, err := b.rt.Benchmark(ctx, runtime.BenchmarkRequest{Model: b.model, Nodes: nodes, PayloadBytes: []int64{1024, 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || len(res.Profile.Nodes) != 2 || len(res.Profile.Links) != 2 {
		t.Fatalf("result: failed=%v profile=%s", res.Failed, fmt.Sprint(res.Profile))
	}
	for _, l := range res.Profile.Links {
		t.Logf("link %s -> %s: rtt %.6fs, %.0f B/s", l.From, l.To, l.RTTSeconds, l.BandwidthBytesPerSecond)
	}
}

// TestSwarmNodeFailure kills a worker with hack/swarm-fail.sh (power loss)
// and checks what the runtime reports while it is down and after restore.
func TestSwarmNodeFailure(t *testing.T) {
	requireSwarm(t)
	b := newBed(t, buildStatic(t, "./testdata/fakenode", t.TempDir()), Config{Command: serveCommand})
	// This test needs no traffic between nodes on the overlay: check that
	// the model's network is created encrypted.
	b.rt.cfg.PlainOverlay = false
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n3 := b.node(t, "node3")
	w := runtime.Workload{Name: "papdl-" + b.model + "-p0", Model: b.model, Role: runtime.RolePartition,
		Node: n3.ID, Revision: "r1", Next: GatewayName(b.model)}
	if _, err := b.rt.Apply(ctx, w); err != nil {
		t.Fatal(err)
	}
	waitRunning(ctx, t, b.rt, w)

	fail := func(action string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, "bash", "../../../hack/swarm-fail.sh", action, "node3").CombinedOutput()
		if err != nil {
			t.Fatalf("swarm-fail.sh %s node3: %v: %q", action, err, out) // one line: make test's filter keeps it
		}
	}
	restored := false
	defer func() {
		if !restored {
			fail("restore")
		}
	}()
	start := time.Now()
	fail("kill")
	for {
		nodes, err := b.rt.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		down := false
		for _, n := range nodes {
			down = down || (n.ID == n3.ID && !n.Ready)
		}
		if down {
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			t.Fatal("node3 never reported down")
		}
	}
	t.Logf("node3 not ready %s after the kill", time.Since(start).Round(time.Millisecond))
	for {
		obs, err := b.rt.List(ctx, b.model)
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) == 1 && !obs[0].Running {
			t.Logf("while down: %q", obs[0].Message)
			break
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			t.Fatal("workload still reported running on a dead node")
		}
	}
	if changed, err := b.rt.Apply(ctx, w); err != nil || changed {
		t.Errorf("apply while the node is down: changed=%v err=%v (nothing to do)", changed, err)
	}
	start = time.Now()
	fail("restore")
	restored = true
	waitRunning(ctx, t, b.rt, w)
	t.Logf("running again %s after restore", time.Since(start).Round(time.Millisecond))
}
