package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	dockerswarm "github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/planner"
	swarmrt "github.com/papdl/papdl/reconcilers/runtime/swarm"
	"github.com/papdl/papdl/reconcilers/store"
)

// enabled reports whether the Swarm tests run: CI sets PAPDL_SWARM_TESTS=1
// after hack/swarm-up.sh 3.
func enabled() bool { return os.Getenv("PAPDL_SWARM_TESTS") == "1" }

// fixture is what TestMain prepares once: the binaries built from this
// tree, the model, one input and the model's monolithic output on it.
var fixture struct {
	bin   e2eutil.Binaries
	repo  string // the repository root (for hack/)
	arch  string
	model string
	input string
	shape []int64
	mono  []byte // `papdlctl infer` output (.npy bytes)
	// modelV2 is the same architecture with other weights (seed 2), for a
	// model update; monoV2 its output.
	modelV2 string
	monoV2  []byte
}

// Generous bounds on conditions becoming true; nothing asserts how long
// they take (the measured times are logged).
const (
	// benchReadyTimeout covers slicing, benchmarking every node, planning
	// and deploying a new model.
	benchReadyTimeout = 8 * time.Minute
	readyTimeout      = 3 * time.Minute
	shortTimeout      = 30 * time.Second
	// cleanupTimeout is the grace period for a deleted model's services,
	// networks and containers to be gone from every engine.
	cleanupTimeout = 2 * time.Minute
	// clientTimeout is the HTTP client's timeout for predictions: well
	// above the gateway's per-request deadline (papdl-node gateway
	// --timeout, 30 s), so a request that hits it was left hanging.
	clientTimeout = 2 * time.Minute
)

// pollEvery is how often waits check their condition.
const pollEvery = 200 * time.Millisecond

// workers are the test bed's worker nodes (hack/swarm-up.sh 3) and the
// addresses their engines and published ports are reached at.
var workers = []struct {
	host, addr, engine string
}{
	{"node1", "10.99.0.11", "unix:///run/papdl-node1/docker.sock"},
	{"node2", "10.99.0.12", "unix:///run/papdl-node2/docker.sock"},
	{"node3", "10.99.0.13", "unix:///run/papdl-node3/docker.sock"},
}

// bridgeAddr is the test bed's host bridge, where the nodes reach the
// controller's artifact server.
const bridgeAddr = "10.99.0.1"

func TestMain(m *testing.M) {
	if !enabled() {
		os.Exit(m.Run()) // every test skips itself
	}
	os.Exit(e2eutil.Main(m, "swarm e2e", prepare))
}

// prepare builds papdlctl and papdl-node (static, for the FROM-scratch node
// image), generates the model and its monolithic output.
func prepare(dir string) error {
	var err error
	if fixture.repo, err = filepath.Abs("../../.."); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(fixture.repo, "hack", "swarm-fail.sh")); err != nil {
		return fmt.Errorf("the repository root is not at ../../..: %w", err)
	}
	if fixture.bin, err = e2eutil.BuildBinaries(dir); err != nil {
		return err
	}
	fixture.arch = os.Getenv("PAPDL_SWARM_MODEL")
	if fixture.arch == "" {
		fixture.arch = "resnet18"
	}
	fixture.model = filepath.Join(dir, fixture.arch+".onnx")
	fixture.modelV2 = filepath.Join(dir, fixture.arch+"-v2.onnx")
	fixture.input = filepath.Join(dir, "input.npy")
	mono, monoV2 := filepath.Join(dir, "mono.npy"), filepath.Join(dir, "mono-v2.npy")
	var inputLine string
	for _, args := range [][]string{
		{"model", "generate", "--arch", fixture.arch, "-o", fixture.model},
		{"model", "generate", "--arch", fixture.arch, "--seed", "2", "-o", fixture.modelV2},
		{"model", "input", "-m", fixture.model, "-o", fixture.input},
		{"infer", "-m", fixture.model, "-i", fixture.input, "-o", mono},
		{"infer", "-m", fixture.modelV2, "-i", fixture.input, "-o", monoV2},
	} {
		out, err := fixture.bin.RunCtl("", args...)
		if err != nil {
			return fmt.Errorf("%w\n%s", err, out)
		}
		if args[1] == "input" {
			inputLine = out
		}
	}
	// "wrote input float32[1 3 224 224] to ...": the spec's input shape.
	m := regexp.MustCompile(`float32\[([0-9 ]+)\]`).FindStringSubmatch(inputLine)
	if m == nil {
		return fmt.Errorf("papdlctl model input printed %q: no shape", inputLine)
	}
	for _, f := range strings.Fields(m[1]) {
		d, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("the input shape %q: %w", m[1], err)
		}
		fixture.shape = append(fixture.shape, d)
	}
	if fixture.mono, err = os.ReadFile(mono); err != nil {
		return fmt.Errorf("the monolithic output: %w", err)
	}
	if fixture.monoV2, err = os.ReadFile(monoV2); err != nil {
		return fmt.Errorf("the monolithic output of the second model: %w", err)
	}
	if bytes.Equal(fixture.mono, fixture.monoV2) {
		return errors.New("the two models answer the same: the update step would show nothing")
	}
	return nil
}

// bed is the test bed seen by one test: the manager's engine, the workers'
// engines, one controller with its own specs and state directories, and
// what must be undone at the end (killed nodes, models).
type bed struct {
	*e2eutil.Env
	t *testing.T
	// artifactAddr is where the controller serves partitions to the nodes:
	// a fixed port on the bridge, the same across controller restarts
	// (the URLs are part of every service's command line).
	artifactAddr string
	docker       *client.Client
	engines      map[string]*client.Client // worker hostname -> its engine
	nodes        map[string]dockerswarm.Node
	managerHost  string
	killed       map[string]bool
	models       map[string]bool
}

// newBed checks that the test bed is up (the manager plus node1..node3,
// Ready, with their engines reachable), removes leftovers of an earlier,
// interrupted run of the given models and prepares the directories.
func newBed(t *testing.T, models ...string) *bed {
	t.Helper()
	b := &bed{Env: e2eutil.NewEnv(t, fixture.bin, pollEvery), t: t,
		engines: map[string]*client.Client{}, nodes: map[string]dockerswarm.Node{}, killed: map[string]bool{},
		models: map[string]bool{}}
	for _, m := range models {
		b.models[m] = true
	}
	var err error
	const hint = "the test bed is not up: run hack/swarm-up.sh 3 first"
	if b.docker, err = client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation()); err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(b.cleanup)
	ctx := context.Background()
	info, err := b.docker.Info(ctx)
	if err != nil {
		t.Fatalf("%s (docker info: %v)", hint, err)
	}
	if info.Swarm.LocalNodeState != dockerswarm.LocalNodeStateActive || !info.Swarm.ControlAvailable {
		t.Fatalf("%s (this engine is not a swarm manager: %s)", hint, info.Swarm.LocalNodeState)
	}
	b.refreshNodes()
	for _, w := range workers {
		n, ok := b.nodes[w.host]
		if !ok || n.Status.State != dockerswarm.NodeStateReady {
			t.Fatalf("%s (%s is missing or not Ready)", hint, w.host)
		}
		eng, err := client.NewClientWithOpts(client.WithHost(w.engine), client.WithAPIVersionNegotiation())
		if err == nil {
			_, err = eng.Ping(ctx)
		}
		if err != nil {
			t.Fatalf("%s (engine of %s at %s: %v)", hint, w.host, w.engine, err)
		}
		b.engines[w.host] = eng
	}
	for host, n := range b.nodes {
		if n.Spec.Role == dockerswarm.NodeRoleManager && n.Spec.Labels[swarmrt.LabelNode] == "manager" {
			b.managerHost = host
		}
	}
	if b.managerHost == "" {
		t.Fatalf("%s (no manager node labelled %s=manager)", hint, swarmrt.LabelNode)
	}
	for m := range b.models {
		b.removeModel(m)
	}
	// A port on the bridge, free now, kept for every controller start.
	ln, err := net.Listen("tcp", bridgeAddr+":0")
	if err != nil {
		t.Fatalf("%s (listen on the bridge: %v)", hint, err)
	}
	b.artifactAddr = ln.Addr().String()
	ln.Close()
	return b
}

func (b *bed) refreshNodes() {
	b.t.Helper()
	list, err := b.docker.NodeList(context.Background(), dockerswarm.NodeListOptions{})
	if err != nil {
		b.t.Fatalf("list swarm nodes: %v", err)
	}
	for _, n := range list {
		b.nodes[n.Description.Hostname] = n
	}
}

// nodeID is the swarm ID of a node by hostname.
func (b *bed) nodeID(host string) string {
	b.t.Helper()
	n, ok := b.nodes[host]
	if !ok {
		b.t.Fatalf("no swarm node %s", host)
	}
	return n.ID
}

// hostOf is the hostname of a node ID ("" if unknown).
func (b *bed) hostOf(id string) string {
	for h, n := range b.nodes {
		if n.ID == id {
			return h
		}
	}
	return ""
}

// startController runs `papdlctl controller --runtime swarm` in the
// background, logging JSON lines to a file of its own.
func (b *bed) startController() {
	b.t.Helper()
	b.StartController("--runtime", "swarm", "--artifact-listen", b.artifactAddr)
}

// cleanup stops the controller, restores killed nodes and removes what the
// test's models left on the swarm, so that a failed run leaves the test
// bed as it found it.
func (b *bed) cleanup() {
	if b.t.Failed() {
		b.dumpDiagnostics()
	}
	if dir := os.Getenv("PAPDL_SWARM_LOGDIR"); dir != "" {
		// Keep the controller logs (CI artifacts).
		for _, l := range b.ControllerLogs() {
			if data, err := os.ReadFile(l); err == nil {
				_ = os.WriteFile(filepath.Join(dir, filepath.Base(l)), data, 0o644)
			}
		}
	}
	b.Close()
	for host := range b.killed {
		if out, err := b.failNode("restore", host); err != nil {
			b.t.Errorf("cleanup: restore %s: %v\n%s", host, err, out)
		}
	}
	for m := range b.models {
		b.removeModel(m)
	}
}

// removeModel removes every service and network of a model from the
// swarm (leftovers of an interrupted run, or of a failed test).
func (b *bed) removeModel(model string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svcs, err := b.docker.ServiceList(ctx, dockerswarm.ServiceListOptions{Filters: modelFilter(model)})
	if err != nil {
		b.t.Logf("cleanup: list services of %s: %v", model, err)
		return
	}
	for _, s := range svcs {
		if err := b.docker.ServiceRemove(ctx, s.ID); err != nil && !cerrdefs.IsNotFound(err) {
			b.t.Logf("cleanup: remove service %s: %v", s.Spec.Name, err)
		}
	}
	for _, s := range svcs {
		for ctx.Err() == nil {
			tasks, err := b.docker.TaskList(ctx, dockerswarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", s.ID))})
			if err != nil || len(tasks) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	nets, err := b.docker.NetworkList(ctx, network.ListOptions{Filters: modelFilter(model)})
	if err != nil {
		b.t.Logf("cleanup: list networks of %s: %v", model, err)
		return
	}
	for _, n := range nets {
		// The network is in use until the last task's endpoint is gone.
		for attempt := 0; ; attempt++ {
			err := b.docker.NetworkRemove(ctx, n.ID)
			if err == nil || cerrdefs.IsNotFound(err) || attempt == 50 || ctx.Err() != nil {
				if err != nil && !cerrdefs.IsNotFound(err) {
					b.t.Logf("cleanup: remove network %s: %v", n.Name, err)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func modelFilter(model string) filters.Args {
	return filters.NewArgs(filters.Arg("label", swarmrt.LabelModel+"="+model))
}

func (b *bed) dumpDiagnostics() {
	b.LogDiagnostics(60)
	for m := range b.models {
		svcs, err := b.docker.ServiceList(context.Background(), dockerswarm.ServiceListOptions{Filters: modelFilter(m)})
		if err != nil || len(svcs) == 0 {
			continue
		}
		args := []string{"service", "ps", "--no-trunc"}
		for _, s := range svcs {
			args = append(args, s.Spec.Name)
		}
		out, _ := exec.Command("docker", args...).CombinedOutput()
		b.t.Logf("docker service ps (model %s):\n%s", m, out)
	}
	out, _ := exec.Command("docker", "node", "ls").CombinedOutput()
	b.t.Logf("docker node ls:\n%s", out)
}

// failNode runs hack/swarm-fail.sh ACTION HOST.
func (b *bed) failNode(action, host string) (string, error) {
	cmd := exec.Command(filepath.Join(fixture.repo, "hack", "swarm-fail.sh"), action, host)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kill powers a worker off (hack/swarm-fail.sh kill); cleanup restores it.
func (b *bed) kill(host string) {
	b.t.Helper()
	b.killed[host] = true
	if out, err := b.failNode("kill", host); err != nil {
		b.t.Fatalf("swarm-fail.sh kill %s: %v: %q", host, err, out)
	}
}

// restore brings a killed worker back and waits until it is Ready.
func (b *bed) restore(host string) {
	b.t.Helper()
	out, err := b.failNode("restore", host)
	if err != nil {
		b.t.Fatalf("swarm-fail.sh restore %s: %v: %q", host, err, out)
	}
	delete(b.killed, host)
}

// spec is a DistributedModel for the test bed. Every unit avoids the
// manager: it is this host's engine (it runs the controller), which
// swarm-fail.sh cannot fail, and it would otherwise take most of the work
// as the fastest node.
type spec struct {
	name, source string
	port         int
	model        string // default fixture.model
}

// manifest is the spec as e2eutil renders and applies it: the fixture's
// model and input shape, every unit off the nodes labelled manager, the
// default benchmark settings.
func (s spec) manifest() e2eutil.Spec {
	model := s.model
	if model == "" {
		model = fixture.model
	}
	return e2eutil.Spec{Name: s.name, ModelPath: model, SourceHost: s.source, InputShape: fixture.shape,
		GatewayPort: s.port, AvoidLabels: map[string]string{swarmrt.LabelNode: "manager"},
		// The test logs predictions next to what is served (PREDICTION):
		// the benchmark must time a warm program, as a user's default does.
		Repeats: 10, Warmup: 2}
}

// apply writes the spec to a file and runs `papdlctl apply -f` on it.
func (b *bed) apply(s spec) {
	b.t.Helper()
	b.models[s.name] = true
	b.Apply(s.manifest())
}

// waitReady waits until the model has converged on its current plan and
// accept (nil: anything) holds: Ready, the attempted revision applied, and
// the status's placement, which the readiness check writes, is the one of
// plan.json with every partition ready. (A re-placement keeps the revision
// and, until the readiness check, the Ready condition: Ready alone may be
// the old placement's.)
func (b *bed) waitReady(name string, timeout time.Duration, accept func(*distributedmodel.Record) bool) *distributedmodel.Record {
	b.t.Helper()
	return b.WaitRecord(name, name+" Ready", timeout, func(r *distributedmodel.Record) bool {
		return e2eutil.IsReady(r) && r.Status.LastAppliedRevision != "" &&
			r.Status.LastAppliedRevision == r.Status.LastAttemptedRevision && b.placementIsPlan(r) &&
			(accept == nil || accept(r))
	})
}

// placementIsPlan reports whether the record's placement status is the
// model's current plan, every partition ready.
func (b *bed) placementIsPlan(r *distributedmodel.Record) bool {
	var p planner.Plan
	found, err := store.ReadJSON(b.Path(distributedmodel.PlanPath(b.Store, r.Name)), &p)
	pl := r.Status.Placement
	if err != nil || !found || pl == nil || len(pl.Partitions) != len(p.Partitions) {
		return false
	}
	for i, pt := range p.Partitions {
		got := pl.Partitions[i]
		if !got.Ready || got.Node != pt.Node || int(got.Units.Start) != pt.Start || int(got.Units.End) != pt.End {
			return false
		}
	}
	return true
}

// plan reads a model's plan.json.
func (b *bed) plan(name string) *planner.Plan {
	b.t.Helper()
	var p planner.Plan
	found, err := store.ReadJSON(b.Path(distributedmodel.PlanPath(b.Store, name)), &p)
	if err != nil || !found {
		b.t.Fatalf("plan of %s: found %v, %v", name, found, err)
	}
	return &p
}

// layout renders a plan's partitions: "0-29@node3 30-30@node1".
func layout(p *planner.Plan) string {
	parts := make([]string, len(p.Partitions))
	for i, pt := range p.Partitions {
		parts[i] = fmt.Sprintf("%d-%d@%s", pt.Start, pt.End-1, pt.Hostname)
	}
	return strings.Join(parts, " ")
}

// service is what the restart check compares of a Swarm service.
type service struct {
	ID      string
	Version uint64
	Tasks   string // IDs of the tasks that should run, sorted
	// Workload is the papdl.io/workload label (the workload as JSON).
	Workload string
}

// services lists a model's services on the manager by name.
func (b *bed) services(model string) map[string]dockerswarm.Service {
	b.t.Helper()
	svcs, err := b.docker.ServiceList(context.Background(), dockerswarm.ServiceListOptions{Filters: modelFilter(model)})
	if err != nil {
		b.t.Fatalf("list services of %s: %v", model, err)
	}
	out := map[string]dockerswarm.Service{}
	for _, s := range svcs {
		out[s.Spec.Name] = s
	}
	return out
}

// runningTasks lists a service's tasks whose desired state is running.
func (b *bed) runningTasks(serviceID string) []dockerswarm.Task {
	b.t.Helper()
	tasks, err := b.docker.TaskList(context.Background(), dockerswarm.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("service", serviceID), filters.Arg("desired-state", "running"))})
	if err != nil {
		b.t.Fatalf("tasks of service %s: %v", serviceID, err)
	}
	return tasks
}

// waitSettled waits until no service of the model is in a rolling update:
// Swarm marks an update completed (a write that bumps the service's
// version) only after the new task has run for the update monitor period.
func (b *bed) waitSettled(model string) {
	b.t.Helper()
	eventually(b.t, readyTimeout, "the services of "+model+" to finish updating", func() (bool, string) {
		var busy []string
		for name, s := range b.services(model) {
			if u := s.UpdateStatus; u != nil && (u.State == dockerswarm.UpdateStateUpdating || u.State == dockerswarm.UpdateStateRollbackStarted) {
				busy = append(busy, name+" "+string(u.State))
			}
		}
		return len(busy) == 0, strings.Join(busy, ", ")
	})
}

// snapshot records the identity and version of a model's services and the
// tasks they run, once no rolling update is in progress.
func (b *bed) snapshot(model string) map[string]service {
	b.t.Helper()
	b.waitSettled(model)
	out := map[string]service{}
	for name, s := range b.services(model) {
		var ids []string
		for _, t := range b.runningTasks(s.ID) {
			ids = append(ids, t.ID)
		}
		sort.Strings(ids)
		out[name] = service{ID: s.ID, Version: s.Version.Index, Tasks: strings.Join(ids, ","),
			Workload: s.Spec.Labels[swarmrt.LabelWorkload]}
	}
	return out
}

// leftovers lists what remains of a model anywhere: services and networks
// on the manager, containers (running or not) on the manager's and every
// worker's engine.
func (b *bed) leftovers(model string) []string {
	ctx := context.Background()
	var out []string
	svcs, err := b.docker.ServiceList(ctx, dockerswarm.ServiceListOptions{Filters: modelFilter(model)})
	if err != nil {
		return []string{fmt.Sprintf("list services: %v", err)}
	}
	for _, s := range svcs {
		out = append(out, "service "+s.Spec.Name)
	}
	nets, err := b.docker.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return append(out, fmt.Sprintf("list networks: %v", err))
	}
	for _, n := range nets {
		if n.Labels[swarmrt.LabelModel] == model || n.Name == swarmrt.NetworkName(model) {
			out = append(out, "network "+n.Name)
		}
	}
	engines := map[string]*client.Client{b.managerHost: b.docker}
	for h, e := range b.engines {
		engines[h] = e
	}
	prefix := "papdl-" + model + "-"
	for host, eng := range engines {
		ctrs, err := eng.ContainerList(ctx, container.ListOptions{All: true})
		if err != nil {
			out = append(out, fmt.Sprintf("%s: list containers: %v", host, err))
			continue
		}
		for _, c := range ctrs {
			name := strings.TrimPrefix(strings.Join(c.Names, ","), "/")
			if c.Labels[swarmrt.LabelModel] == model || strings.HasPrefix(name, prefix) {
				out = append(out, fmt.Sprintf("%s: container %s (%s)", host, name, c.State))
			}
		}
	}
	return out
}

// waitGone waits until nothing of a deleted model is left on any engine,
// nor in the state directory.
func (b *bed) waitGone(model string) time.Duration {
	b.t.Helper()
	start := time.Now()
	eventually(b.t, cleanupTimeout, "nothing of "+model+" left", func() (bool, string) {
		left := b.leftovers(model)
		if _, err := os.Stat(b.Path(b.Store.ModelDir(model))); err == nil {
			left = append(left, "state directory "+b.Path(b.Store.ModelDir(model)))
		}
		return len(left) == 0, strings.Join(left, "; ")
	})
	return time.Since(start)
}

// httpClient sends predictions; its timeout is far above the gateway's
// deadline, so a request that reaches it was left hanging.
var httpClient = &http.Client{Timeout: clientTimeout}

// mustPredictEqual checks a few predictions through the gateway, and one
// through papdlctl predict, against the monolithic output.
func (b *bed) mustPredictEqual(name, endpoint, what string) {
	b.t.Helper()
	b.mustPredict(name, endpoint, what, fixture.mono)
}

// mustPredict checks a few predictions through the gateway, and one
// through papdlctl predict, against want.
func (b *bed) mustPredict(name, endpoint, what string, want []byte) {
	b.t.Helper()
	in, err := os.ReadFile(fixture.input)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		got, err := post(context.Background(), endpoint, in)
		if err != nil || !bytes.Equal(got, want) {
			b.t.Fatalf("%s: POST %s/input #%d: %v (want 200 and the monolithic output, bitwise)", what, endpoint, i, err)
		}
	}
	out := filepath.Join(b.Dir, fmt.Sprintf("predict-%d.npy", time.Now().UnixNano()))
	b.MustCtl("predict", name, "-i", fixture.input, "-o", out, "--state-dir", b.State)
	got, err := os.ReadFile(out)
	if err != nil {
		b.t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		b.t.Fatalf("%s: papdlctl predict %s differs from the monolithic output", what, name)
	}
}

// eventually polls cond every 200ms until it holds, failing the test after
// timeout with cond's last detail.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	e2eutil.Eventually(t, pollEvery, timeout, what, cond)
}

// post sends the input to a gateway's POST /input and returns the body of
// a 200 answer.
func post(ctx context.Context, endpoint string, input []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/input", bytes.NewReader(input))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	// The client's own deadline (the gateway's default is 30 s): a failover
	// of VGG16 onto the test bed's slow nodes holds requests for about 20 s.
	req.Header.Set("Papdl-Timeout", "60s")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %.200s", resp.Status, body)
	}
	return body, nil
}
