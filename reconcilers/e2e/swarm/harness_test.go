package swarm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	dockerswarm "github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
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
	dir       string
	repo      string // the repository root (for hack/)
	ctl, node string
	arch      string
	model     string
	input     string
	shape     []int64
	mono      []byte // `papdlctl infer` output (.npy bytes)
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
	dir, err := os.MkdirTemp("", "papdl-swarm-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarm e2e:", err)
		os.Exit(1)
	}
	code := 1
	if err = prepare(dir); err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "swarm e2e: setup:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
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
	fixture.dir = dir
	fixture.ctl = filepath.Join(dir, "bin", "papdlctl")
	fixture.node = filepath.Join(dir, "bin", "papdl-node")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	for _, b := range []struct{ out, pkg string }{
		{fixture.ctl, "github.com/papdl/papdl/cmd/papdlctl"},
		{fixture.node, "github.com/papdl/papdl/cmd/papdl-node"},
	} {
		cmd := exec.Command(gobin, "build", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	fixture.arch = os.Getenv("PAPDL_SWARM_MODEL")
	if fixture.arch == "" {
		fixture.arch = "resnet18"
	}
	fixture.model = filepath.Join(dir, fixture.arch+".onnx")
	fixture.input = filepath.Join(dir, "input.npy")
	mono := filepath.Join(dir, "mono.npy")
	var inputLine string
	for _, args := range [][]string{
		{"model", "generate", "--arch", fixture.arch, "-o", fixture.model},
		{"model", "input", "-m", fixture.model, "-o", fixture.input},
		{"infer", "-m", fixture.model, "-i", fixture.input, "-o", mono},
	} {
		out, err := exec.Command(fixture.ctl, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[1] == "input" {
			inputLine = string(out)
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
			return err
		}
		fixture.shape = append(fixture.shape, d)
	}
	fixture.mono, err = os.ReadFile(mono)
	return err
}

// bed is the test bed seen by one test: the manager's engine, the workers'
// engines, one controller with its own specs and state directories, and
// what must be undone at the end (killed nodes, models).
type bed struct {
	t                 *testing.T
	dir, specs, state string
	// artifactAddr is where the controller serves partitions to the nodes:
	// a fixed port on the bridge, the same across controller restarts
	// (the URLs are part of every service's command line).
	artifactAddr string
	ctrl         *controllerProc
	starts       int
	logs         []string
	st           *store.Store
	docker       *client.Client
	engines      map[string]*client.Client // worker hostname -> its engine
	nodes        map[string]dockerswarm.Node
	managerHost  string
	killed       map[string]bool
	models       map[string]bool
}

type controllerProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// newBed checks that the test bed is up (the manager plus node1..node3,
// Ready, with their engines reachable), removes leftovers of an earlier,
// interrupted run of the given models and prepares the directories.
func newBed(t *testing.T, models ...string) *bed {
	t.Helper()
	dir := t.TempDir()
	b := &bed{t: t, dir: dir, specs: filepath.Join(dir, "specs"), state: filepath.Join(dir, "state"),
		engines: map[string]*client.Client{}, nodes: map[string]dockerswarm.Node{}, killed: map[string]bool{},
		models: map[string]bool{}}
	for _, m := range models {
		b.models[m] = true
	}
	for _, d := range []string{b.specs, b.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(b.state)
	if err != nil {
		t.Fatal(err)
	}
	b.st = st
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
	b.starts++
	logPath := filepath.Join(b.dir, fmt.Sprintf("controller-%d.log", b.starts))
	f, err := os.Create(logPath)
	if err != nil {
		b.t.Fatal(err)
	}
	cmd := exec.Command(fixture.ctl, "controller", "--runtime", "swarm", "--specs-dir", b.specs, "--state-dir", b.state,
		"--artifact-listen", b.artifactAddr, "--node-binary", fixture.node, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		b.t.Fatal(err)
	}
	p := &controllerProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	b.ctrl = p
	b.logs = append(b.logs, logPath)
}

// stopController sends SIGTERM and waits for a clean exit.
func (b *bed) stopController() {
	b.t.Helper()
	p := b.ctrl
	if p == nil {
		return
	}
	b.ctrl = nil
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(shortTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		b.t.Errorf("the controller did not exit within %s of SIGTERM", shortTimeout)
		return
	}
	if !p.cmd.ProcessState.Success() {
		b.t.Errorf("the controller exited with %s after SIGTERM", p.cmd.ProcessState)
	}
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
		for _, l := range b.logs {
			if data, err := os.ReadFile(l); err == nil {
				_ = os.WriteFile(filepath.Join(dir, filepath.Base(l)), data, 0o644)
			}
		}
	}
	if p := b.ctrl; p != nil {
		b.ctrl = nil
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(shortTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
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
		if err := b.docker.ServiceRemove(ctx, s.ID); err != nil && !client.IsErrNotFound(err) {
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
			if err == nil || client.IsErrNotFound(err) || attempt == 50 || ctx.Err() != nil {
				if err != nil && !client.IsErrNotFound(err) {
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
	for _, l := range b.logs {
		if data, err := os.ReadFile(l); err == nil {
			b.t.Logf("%s (last 60 lines):\n%s", filepath.Base(l), tail(string(data), 60))
		}
	}
	names, _ := b.st.ModelNames()
	for _, n := range names {
		out, _ := b.ctl("describe", n, "--state-dir", b.state)
		b.t.Logf("describe %s:\n%s", n, out)
	}
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

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctl runs papdlctl and returns its combined output.
func (b *bed) ctl(args ...string) (string, error) {
	cmd := exec.Command(fixture.ctl, args...)
	cmd.Dir = b.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (b *bed) mustCtl(args ...string) string {
	b.t.Helper()
	out, err := b.ctl(args...)
	if err != nil {
		b.t.Fatalf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
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
		b.t.Fatalf("swarm-fail.sh kill %s: %v\n%s", host, err, out)
	}
}

// restore brings a killed worker back and waits until it is Ready.
func (b *bed) restore(host string) {
	b.t.Helper()
	out, err := b.failNode("restore", host)
	if err != nil {
		b.t.Fatalf("swarm-fail.sh restore %s: %v\n%s", host, err, out)
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
}

func (s spec) yaml() string {
	dims := make([]string, len(fixture.shape))
	for i, d := range fixture.shape {
		dims[i] = strconv.FormatInt(d, 10)
	}
	return fmt.Sprintf(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s}
spec:
  model: {path: %s}
  sourceNode: {hostname: %s}
  input: {shape: [%s]}
  benchmark: {repeats: 2, warmup: 1}
  gateway: {port: %d}
  constraints:
    avoid:
    - nodes: [{selector: {%s: manager}}]
`, s.name, fixture.model, s.source, strings.Join(dims, ", "), s.port, swarmrt.LabelNode)
}

// apply writes the spec to a file and runs `papdlctl apply -f` on it.
func (b *bed) apply(s spec) {
	b.t.Helper()
	b.models[s.name] = true
	file := filepath.Join(b.dir, s.name+".yaml")
	if err := os.WriteFile(file, []byte(s.yaml()), 0o644); err != nil {
		b.t.Fatal(err)
	}
	out := b.mustCtl("apply", "-f", file, "--specs-dir", b.specs)
	if !strings.Contains(out, "distributedmodel/"+s.name) {
		b.t.Fatalf("apply printed %q", out)
	}
}

// record reads a model's status record (nil when it has none).
func (b *bed) record(name string) *distributedmodel.Record {
	b.t.Helper()
	rec, found, err := distributedmodel.LoadRecord(b.st, name)
	if err != nil {
		b.t.Fatalf("read the record of %s: %v", name, err)
	}
	if !found {
		return nil
	}
	return rec
}

// waitRecord polls the model's record until ok accepts it.
func (b *bed) waitRecord(name, what string, timeout time.Duration, ok func(*distributedmodel.Record) bool) *distributedmodel.Record {
	b.t.Helper()
	var rec *distributedmodel.Record
	eventually(b.t, timeout, what, func() (bool, string) {
		rec = b.record(name)
		if rec == nil {
			return false, "no record yet"
		}
		return ok(rec), summary(rec)
	})
	return rec
}

// waitReady waits until the model has converged on its current plan and
// accept (nil: anything) holds: Ready, the attempted revision applied, and
// the status's placement, which the readiness check writes, is the one of
// plan.json with every partition ready. (A re-placement keeps the revision
// and, until the readiness check, the Ready condition: Ready alone may be
// the old placement's.)
func (b *bed) waitReady(name string, timeout time.Duration, accept func(*distributedmodel.Record) bool) *distributedmodel.Record {
	b.t.Helper()
	return b.waitRecord(name, name+" Ready", timeout, func(r *distributedmodel.Record) bool {
		return isReady(r) && r.Status.LastAppliedRevision != "" &&
			r.Status.LastAppliedRevision == r.Status.LastAttemptedRevision && b.placementIsPlan(r) &&
			(accept == nil || accept(r))
	})
}

// placementIsPlan reports whether the record's placement status is the
// model's current plan, every partition ready.
func (b *bed) placementIsPlan(r *distributedmodel.Record) bool {
	var p planner.Plan
	found, err := store.ReadJSON(distributedmodel.PlanPath(b.st, r.Name), &p)
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

func isReady(r *distributedmodel.Record) bool {
	c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady)
	return c != nil && c.Status == v1alpha1.ConditionTrue
}

func summary(r *distributedmodel.Record) string {
	var parts []string
	for _, c := range r.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("applied %q attempted %q; %s", r.Status.LastAppliedRevision, r.Status.LastAttemptedRevision,
		strings.Join(parts, "; "))
}

// plan reads a model's plan.json.
func (b *bed) plan(name string) *planner.Plan {
	b.t.Helper()
	var p planner.Plan
	found, err := store.ReadJSON(distributedmodel.PlanPath(b.st, name), &p)
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

func (b *bed) events(name string) []store.Event {
	b.t.Helper()
	evs, err := b.st.Events(name, 0)
	if err != nil {
		b.t.Fatalf("events of %s: %v", name, err)
	}
	return evs
}

func reasons(evs []store.Event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e.Reason]++
	}
	return out
}

func eventsWith(evs []store.Event, reason string) []store.Event {
	var out []store.Event
	for _, e := range evs {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
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
		if _, err := os.Stat(b.st.ModelDir(model)); err == nil {
			left = append(left, "state directory "+b.st.ModelDir(model))
		}
		return len(left) == 0, strings.Join(left, "; ")
	})
	return time.Since(start)
}

// reconcilesFinished counts the current controller's "reconcile finished"
// log lines for a model.
func (b *bed) reconcilesFinished(name string) int {
	if b.ctrl == nil {
		return 0
	}
	f, err := os.Open(b.ctrl.log)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			Name string `json:"name"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "reconcile finished" && line.Name == name {
			n++
		}
	}
	return n
}

// httpClient sends predictions; its timeout is far above the gateway's
// deadline, so a request that reaches it was left hanging.
var httpClient = &http.Client{Timeout: clientTimeout}

// outcome is one prediction request.
type outcome struct {
	start time.Time
	took  time.Duration
	code  int // 0: no response
	err   error
	equal bool // a 200 whose body equals the monolithic output
}

func (o outcome) ok() bool { return o.err == nil && o.code == http.StatusOK && o.equal }

// hung reports whether the request hit the client's timeout.
func (o outcome) hung() bool {
	var ne net.Error
	return o.took >= clientTimeout || errors.Is(o.err, context.DeadlineExceeded) || (errors.As(o.err, &ne) && ne.Timeout())
}

func (o outcome) String() string {
	if o.err != nil {
		return fmt.Sprintf("error after %s: %v", o.took.Round(time.Millisecond), o.err)
	}
	return fmt.Sprintf("%d after %s (equal %v)", o.code, o.took.Round(time.Millisecond), o.equal)
}

// predict POSTs the input to a gateway.
func predict(endpoint string, input []byte) outcome {
	o := outcome{start: time.Now()}
	resp, err := httpClient.Post(endpoint+"/input", "application/octet-stream", bytes.NewReader(input))
	if err != nil {
		o.took, o.err = time.Since(o.start), err
		return o
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o.took, o.code, o.err = time.Since(o.start), resp.StatusCode, err
	o.equal = err == nil && bytes.Equal(body, fixture.mono)
	return o
}

// mustPredictEqual checks a few predictions through the gateway, and one
// through papdlctl predict, against the monolithic output.
func (b *bed) mustPredictEqual(name, endpoint, what string) {
	b.t.Helper()
	in, err := os.ReadFile(fixture.input)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if o := predict(endpoint, in); !o.ok() {
			b.t.Fatalf("%s: POST %s/input #%d: %s (want 200 and the monolithic output, bitwise)", what, endpoint, i, o)
		}
	}
	out := filepath.Join(b.dir, fmt.Sprintf("predict-%d.npy", time.Now().UnixNano()))
	b.mustCtl("predict", name, "-i", fixture.input, "-o", out, "--state-dir", b.state)
	got, err := os.ReadFile(out)
	if err != nil {
		b.t.Fatal(err)
	}
	if !bytes.Equal(got, fixture.mono) {
		b.t.Fatalf("%s: papdlctl predict %s differs from the monolithic output", what, name)
	}
}

// eventually polls cond every 200ms until it holds, failing the test after
// timeout with cond's last detail.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
