package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// fixture is what TestMain prepares once for every test: the binaries built
// from this tree, two mnist models that differ only in their weights, one
// input and the monolithic output of each model on it.
var fixture struct {
	dir            string
	ctl, node      string
	modelA, modelB string // mnist, seeds 1 and 2
	input          string
	monoA, monoB   []byte // `papdlctl infer` outputs (.npy bytes)
}

// Generous bounds for conditions to become true; nothing is asserted on
// how long they take.
const (
	readyTimeout = 2 * time.Minute
	shortTimeout = 30 * time.Second
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "papdl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	err = prepare(dir)
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "e2e: setup:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// prepare builds the binaries and the models.
func prepare(dir string) error {
	fixture.dir = dir
	fixture.ctl = filepath.Join(dir, "bin", "papdlctl")
	fixture.node = filepath.Join(dir, "bin", "papdl-node")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	for out, pkg := range map[string]string{fixture.ctl: "github.com/papdl/papdl/cmd/papdlctl",
		fixture.node: "github.com/papdl/papdl/cmd/papdl-node"} {
		cmd := exec.Command(gobin, "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	fixture.modelA = filepath.Join(dir, "mnist-seed1.onnx")
	fixture.modelB = filepath.Join(dir, "mnist-seed2.onnx")
	fixture.input = filepath.Join(dir, "input.npy")
	outA, outB := filepath.Join(dir, "mono-seed1.npy"), filepath.Join(dir, "mono-seed2.npy")
	for _, args := range [][]string{
		{"model", "generate", "--arch", "mnist", "--seed", "1", "-o", fixture.modelA},
		{"model", "generate", "--arch", "mnist", "--seed", "2", "-o", fixture.modelB},
		{"model", "input", "-m", fixture.modelA, "-o", fixture.input},
		{"infer", "-m", fixture.modelA, "-i", fixture.input, "-o", outA},
		{"infer", "-m", fixture.modelB, "-i", fixture.input, "-o", outB},
	} {
		if b, err := exec.Command(fixture.ctl, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	if fixture.monoA, err = os.ReadFile(outA); err != nil {
		return err
	}
	if fixture.monoB, err = os.ReadFile(outB); err != nil {
		return err
	}
	if bytes.Equal(fixture.monoA, fixture.monoB) {
		return errors.New("the two seeds give the same output: the model-change test could not tell them apart")
	}
	return nil
}

// cluster is one controller with its own specs and state directories on the
// local runtime.
type cluster struct {
	t                  *testing.T
	dir, specs, state  string
	nodesFile          string
	ctrl               *controllerProc
	starts             int
	seenPIDs           map[int]bool // every workload pid observed, killed at cleanup
	st                 *store.Store
	controllerLogFiles []string
}

type controllerProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// newCluster prepares directories and, with nodes, a simulated-nodes file
// (YAML list items such as "{name: edge1, cpus: 1, memory: 1Gi}"). It does
// not start the controller.
func newCluster(t *testing.T, nodes ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, specs: filepath.Join(dir, "specs"), state: filepath.Join(dir, "state"), seenPIDs: map[int]bool{}}
	for _, d := range []string{c.specs, c.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if len(nodes) > 0 {
		c.nodesFile = filepath.Join(dir, "nodes.yaml")
		var b strings.Builder
		for _, n := range nodes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if err := os.WriteFile(c.nodesFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(c.state)
	if err != nil {
		t.Fatal(err)
	}
	c.st = st
	t.Cleanup(c.cleanup)
	return c
}

// startController runs `papdlctl controller` in the background, logging JSON
// lines to a file of its own.
func (c *cluster) startController() {
	c.t.Helper()
	c.starts++
	logPath := filepath.Join(c.dir, fmt.Sprintf("controller-%d.log", c.starts))
	f, err := os.Create(logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	args := []string{"controller", "--specs-dir", c.specs, "--state-dir", c.state, "--runtime", "local",
		"--node-binary", fixture.node, "--log-format", "json"}
	if c.nodesFile != "" {
		args = append(args, "--nodes", c.nodesFile)
	}
	cmd := exec.Command(fixture.ctl, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		c.t.Fatal(err)
	}
	p := &controllerProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.ctrl = p
	c.controllerLogFiles = append(c.controllerLogFiles, logPath)
}

// stopController sends SIGTERM and waits for the controller to exit, which
// must be clean (status 0).
func (c *cluster) stopController() {
	c.t.Helper()
	p := c.ctrl
	if p == nil {
		return
	}
	c.ctrl = nil
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(shortTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		c.t.Errorf("the controller did not exit within %s of SIGTERM", shortTimeout)
		return
	}
	if !p.cmd.ProcessState.Success() {
		c.t.Errorf("the controller exited with %s after SIGTERM", p.cmd.ProcessState)
	}
}

// cleanup stops the controller and kills every workload process the test
// saw or the runtime still records. On failure it logs what helps.
func (c *cluster) cleanup() {
	if c.t.Failed() {
		c.dumpDiagnostics()
	}
	if p := c.ctrl; p != nil {
		c.ctrl = nil
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(shortTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	for _, w := range c.workloadsOrNil() {
		c.seenPIDs[w.PID] = true
	}
	for pid := range c.seenPIDs {
		if nodeProcessAlive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	deadline := time.Now().Add(shortTimeout)
	for pid := range c.seenPIDs {
		for nodeProcessAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (c *cluster) dumpDiagnostics() {
	for _, l := range c.controllerLogFiles {
		if b, err := os.ReadFile(l); err == nil {
			c.t.Logf("%s (last 40 lines):\n%s", filepath.Base(l), tail(string(b), 40))
		}
	}
	names, _ := c.st.ModelNames()
	for _, n := range names {
		out, _ := c.ctl("describe", n, "--state-dir", c.state)
		c.t.Logf("describe %s:\n%s", n, out)
	}
	logs, _ := filepath.Glob(filepath.Join(c.state, "local-runtime", "logs", "*.log"))
	for _, l := range logs {
		if b, err := os.ReadFile(l); err == nil {
			c.t.Logf("%s (last 10 lines):\n%s", filepath.Base(l), tail(string(b), 10))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctl runs papdlctl and returns its combined output.
func (c *cluster) ctl(args ...string) (string, error) {
	cmd := exec.Command(fixture.ctl, args...)
	cmd.Dir = c.dir
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// mustCtl runs papdlctl and fails the test when it fails.
func (c *cluster) mustCtl(args ...string) string {
	c.t.Helper()
	out, err := c.ctl(args...)
	if err != nil {
		c.t.Fatalf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// pin is one spec.constraints.pins entry: units [start, end) on host.
type pin struct {
	start, end int
	host       string
}

// spec is a DistributedModel spec for the local runtime.
type spec struct {
	name      string
	model     string
	port      int
	objective string
	pins      []pin
}

func (s spec) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s}
spec:
  model: {path: %s}
  sourceNode: {hostname: local}
  input: {shape: [1, 1, 28, 28]}
  benchmark: {repeats: 2, warmup: 1}
  gateway: {port: %d}
`, s.name, s.model, s.port)
	if s.objective != "" {
		fmt.Fprintf(&b, "  objective: %s\n", s.objective)
	}
	if len(s.pins) > 0 {
		b.WriteString("  constraints:\n    pins:\n")
		for _, p := range s.pins {
			fmt.Fprintf(&b, "    - {units: {start: %d, end: %d}, node: {hostname: %s}}\n", p.start, p.end, p.host)
		}
	}
	return b.String()
}

// apply writes the spec to a file of the test's directory and runs
// `papdlctl apply -f` on it.
func (c *cluster) apply(s spec) {
	c.t.Helper()
	file := filepath.Join(c.dir, s.name+".yaml")
	if err := os.WriteFile(file, []byte(s.yaml()), 0o644); err != nil {
		c.t.Fatal(err)
	}
	out := c.mustCtl("apply", "-f", file, "--specs-dir", c.specs)
	if !strings.Contains(out, "distributedmodel/"+s.name) {
		c.t.Fatalf("apply printed %q", out)
	}
}

// record reads a model's status record (nil when it has none).
func (c *cluster) record(name string) *distributedmodel.Record {
	c.t.Helper()
	rec, found, err := distributedmodel.LoadRecord(c.st, name)
	if err != nil {
		c.t.Fatalf("read the record of %s: %v", name, err)
	}
	if !found {
		return nil
	}
	return rec
}

// waitRecord polls the model's record until ok accepts it.
func (c *cluster) waitRecord(name, what string, timeout time.Duration, ok func(*distributedmodel.Record) bool) *distributedmodel.Record {
	c.t.Helper()
	var rec *distributedmodel.Record
	eventually(c.t, timeout, what, func() (bool, string) {
		rec = c.record(name)
		if rec == nil {
			return false, "no record yet"
		}
		return ok(rec), summary(rec)
	})
	return rec
}

// waitReady waits until the model serves a revision other than notRevision
// (any revision when it is ""), applied fully: Ready=True and the last
// attempted revision is the applied one.
func (c *cluster) waitReady(name, notRevision string) *distributedmodel.Record {
	c.t.Helper()
	return c.waitRecord(name, name+" Ready", readyTimeout, func(r *distributedmodel.Record) bool {
		return isReady(r) && r.Status.LastAppliedRevision == r.Status.LastAttemptedRevision &&
			r.Status.LastAppliedRevision != notRevision
	})
}

func isReady(r *distributedmodel.Record) bool {
	c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady)
	return c != nil && c.Status == v1alpha1.ConditionTrue
}

func condition(r *distributedmodel.Record, t v1alpha1.ConditionType) *v1alpha1.Condition {
	return v1alpha1.FindCondition(r.Status.Conditions, t)
}

// summary renders a record's conditions for failure messages.
func summary(r *distributedmodel.Record) string {
	var parts []string
	for _, c := range r.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("applied %q attempted %q; %s", r.Status.LastAppliedRevision, r.Status.LastAttemptedRevision,
		strings.Join(parts, "; "))
}

// events returns a model's event log.
func (c *cluster) events(name string) []store.Event {
	c.t.Helper()
	evs, err := c.st.Events(name, 0)
	if err != nil {
		c.t.Fatalf("events of %s: %v", name, err)
	}
	return evs
}

// reasons lists the reasons of events, and counts them.
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

// workload is the part of a local-runtime workload record the tests read.
type workload struct {
	Workload runtime.Workload `json:"workload"`
	Hash     string           `json:"hash"`
	PID      int              `json:"pid"`
	Restarts int              `json:"restarts"`
}

func (c *cluster) workloadsOrNil() map[string]workload {
	files, _ := filepath.Glob(filepath.Join(c.state, "local-runtime", "workloads", "*.json"))
	out := map[string]workload{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var w workload
		if json.Unmarshal(b, &w) != nil || w.PID == 0 {
			continue // unreadable, or a placeholder reserving ports
		}
		out[w.Workload.Name] = w
	}
	return out
}

// workloads reads the runtime's workload records of a model (all models
// when model is ""), remembering their pids for cleanup.
func (c *cluster) workloads(model string) map[string]workload {
	out := map[string]workload{}
	for n, w := range c.workloadsOrNil() {
		c.seenPIDs[w.PID] = true
		if model == "" || w.Workload.Model == model {
			out[n] = w
		}
	}
	return out
}

// pids maps workload names to pids.
func pids(ws map[string]workload) map[string]int {
	out := map[string]int{}
	for n, w := range ws {
		out[n] = w.PID
	}
	return out
}

// nodeProcessAlive reports whether pid is a live (not zombie) papdl-node
// process of this test run.
func nodeProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.HasPrefix(cmdline, []byte(fixture.node+"\x00")) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return !(i > 0 && i+2 < len(stat) && stat[i+2] == 'Z')
}

// predict runs `papdlctl predict` and returns the output .npy bytes.
func (c *cluster) predict(name string) ([]byte, error) {
	out := filepath.Join(c.dir, fmt.Sprintf("predict-%d.npy", time.Now().UnixNano()))
	if msg, err := c.ctl("predict", name, "-i", fixture.input, "-o", out, "--state-dir", c.state); err != nil {
		return nil, fmt.Errorf("%v: %s", err, msg)
	}
	defer os.Remove(out)
	return os.ReadFile(out)
}

// mustPredictEqual checks that one prediction equals want bitwise.
func (c *cluster) mustPredictEqual(name string, want []byte, what string) {
	c.t.Helper()
	got, err := c.predict(name)
	if err != nil {
		c.t.Fatalf("%s: predict %s: %v", what, name, err)
	}
	if !bytes.Equal(got, want) {
		c.t.Fatalf("%s: the prediction of %s (%d bytes) differs from the monolithic output (%d bytes)", what, name, len(got), len(want))
	}
}

// reconcilesFinished counts the "reconcile finished" log lines of the
// current controller for a model.
func (c *cluster) reconcilesFinished(name string) int {
	return c.reconcilesStartedAfter(name, time.Time{})
}

// reconcilesStartedAfter counts the reconciles of a model by the current
// controller that finished without error and started after t (the log line
// is written at the end, with how long the reconcile took).
func (c *cluster) reconcilesStartedAfter(name string, t time.Time) int {
	c.t.Helper()
	if c.ctrl == nil {
		return 0
	}
	f, err := os.Open(c.ctrl.log)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var line struct {
			TS   string  `json:"ts"`
			Msg  string  `json:"msg"`
			Name string  `json:"name"`
			Took float64 `json:"took"` // seconds
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "reconcile finished" || line.Name != name {
			continue
		}
		if !t.IsZero() {
			end, err := time.Parse("2006-01-02T15:04:05.000Z0700", line.TS)
			if err != nil {
				c.t.Fatalf("controller log: timestamp %q: %v", line.TS, err)
			}
			if !end.Add(-time.Duration(line.Took * float64(time.Second))).After(t) {
				continue
			}
		}
		n++
	}
	return n
}

// eventually polls cond every 100ms until it holds, failing the test after
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
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort returns a loopback port that is free now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// copyFile copies src to dst through a temporary file and a rename, as a
// user replacing a model file should.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".partial"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// placementNodes lists the node of every partition in the record's status.
func placementNodes(r *distributedmodel.Record) []string {
	if r.Status.Placement == nil {
		return nil
	}
	var out []string
	for _, p := range r.Status.Placement.Partitions {
		out = append(out, p.Node)
	}
	return out
}
