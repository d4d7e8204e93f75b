package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/runtime/local"
)

// fixture is what TestMain prepares once for every test: the binaries built
// from this tree, two mnist models that differ only in their weights, one
// input and the monolithic output of each model on it.
var fixture struct {
	bin            e2eutil.Binaries
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

// pollEvery is how often waits check their condition.
const pollEvery = 100 * time.Millisecond

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, "e2e", prepare))
}

// prepare builds the binaries and the models.
func prepare(dir string) error {
	var err error
	if fixture.bin, err = e2eutil.BuildBinaries(dir); err != nil {
		return err
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
		if out, err := fixture.bin.RunCtl("", args...); err != nil {
			return fmt.Errorf("%w\n%s", err, out)
		}
	}
	if fixture.monoA, err = os.ReadFile(outA); err != nil {
		return fmt.Errorf("the monolithic output of seed 1: %w", err)
	}
	if fixture.monoB, err = os.ReadFile(outB); err != nil {
		return fmt.Errorf("the monolithic output of seed 2: %w", err)
	}
	if bytes.Equal(fixture.monoA, fixture.monoB) {
		return errors.New("the two seeds give the same output: the model-change test could not tell them apart")
	}
	return nil
}

// cluster is one controller with its own specs and state directories on the
// local runtime.
type cluster struct {
	*e2eutil.Env
	t         *testing.T
	nodesFile string
	seenPIDs  map[int]bool // every workload pid observed, killed at cleanup
}

// newCluster prepares directories and, with nodes, a simulated-nodes file
// (YAML list items such as "{name: edge1, cpus: 1, memory: 1Gi}"). It does
// not start the controller.
func newCluster(t *testing.T, nodes ...string) *cluster {
	t.Helper()
	c := &cluster{Env: e2eutil.NewEnv(t, fixture.bin, pollEvery), t: t, seenPIDs: map[int]bool{}}
	if len(nodes) > 0 {
		c.nodesFile = filepath.Join(c.Dir, "nodes.yaml")
		var b strings.Builder
		for _, n := range nodes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if err := os.WriteFile(c.nodesFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.cleanup)
	return c
}

// startController runs `papdlctl controller --runtime local` in the
// background, logging JSON lines to a file of its own.
func (c *cluster) startController() {
	c.t.Helper()
	args := []string{"--runtime", "local"}
	if c.nodesFile != "" {
		args = append(args, "--nodes", c.nodesFile)
	}
	c.StartController(args...)
}

// cleanup stops the controller and kills every workload process the test
// saw or the runtime still records. On failure it logs what helps.
func (c *cluster) cleanup() {
	if c.t.Failed() {
		c.dumpDiagnostics()
	}
	c.Close()
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
	// The controller kept the simulated nodes' cgroups for the workloads
	// it left running; they are gone now.
	if err := local.ReleaseCgroups(filepath.Join(c.State, "local-runtime")); err != nil {
		c.t.Logf("cleanup: %v", err)
	}
}

func (c *cluster) dumpDiagnostics() {
	c.LogDiagnostics(40)
	logs, _ := filepath.Glob(filepath.Join(c.State, "local-runtime", "logs", "*.log"))
	for _, l := range logs {
		if b, err := os.ReadFile(l); err == nil {
			c.t.Logf("%s (last 10 lines):\n%s", filepath.Base(l), e2eutil.LastLines(string(b), 10))
		}
	}
}

// pin is one spec.constraints.pins entry: units [start, end) on host.
type pin struct {
	start, end int
	host       string
}

// spec is a DistributedModel spec for the local runtime: the mnist model's
// input, requests arriving on the host node "local".
type spec struct {
	name      string
	model     string
	port      int
	objective string
	pins      []pin
}

// manifest is the spec as e2eutil renders and applies it.
func (s spec) manifest() e2eutil.Spec {
	m := e2eutil.Spec{Name: s.name, ModelPath: s.model, SourceHost: "local", InputShape: []int64{1, 1, 28, 28},
		GatewayPort: s.port, Objective: s.objective}
	for _, p := range s.pins {
		m.Pins = append(m.Pins, e2eutil.Pin{Start: p.start, End: p.end, Host: p.host})
	}
	return m
}

// yaml is the spec's manifest, as apply writes it.
func (s spec) yaml() string { return s.manifest().YAML() }

// apply writes the spec to a file of the test's directory and runs
// `papdlctl apply -f` on it.
func (c *cluster) apply(s spec) {
	c.t.Helper()
	c.Apply(s.manifest())
}

// waitReady waits until the model serves a revision other than notRevision
// (any revision when it is ""), applied fully: Ready=True and the last
// attempted revision is the applied one.
func (c *cluster) waitReady(name, notRevision string) *distributedmodel.Record {
	c.t.Helper()
	return c.WaitRecord(name, name+" Ready", readyTimeout, func(r *distributedmodel.Record) bool {
		return e2eutil.IsReady(r) && r.Status.LastAppliedRevision == r.Status.LastAttemptedRevision &&
			r.Status.LastAppliedRevision != notRevision
	})
}

func condition(r *distributedmodel.Record, t v1alpha1.ConditionType) *v1alpha1.Condition {
	return v1alpha1.FindCondition(r.Status.Conditions, t)
}

// workload is the part of a local-runtime workload record the tests read.
type workload struct {
	Workload runtime.Workload `json:"workload"`
	Hash     string           `json:"hash"`
	PID      int              `json:"pid"`
	Restarts int              `json:"restarts"`
}

func (c *cluster) workloadsOrNil() map[string]workload {
	files, _ := filepath.Glob(filepath.Join(c.State, "local-runtime", "workloads", "*.json"))
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
	if err != nil || !bytes.HasPrefix(cmdline, []byte(fixture.bin.Node+"\x00")) {
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
	out := filepath.Join(c.Dir, fmt.Sprintf("predict-%d.npy", time.Now().UnixNano()))
	if msg, err := c.Ctl("predict", name, "-i", fixture.input, "-o", out, "--state-dir", c.State); err != nil {
		return nil, fmt.Errorf("%w: %s", err, msg)
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

// eventually polls cond every 100ms until it holds, failing the test after
// timeout with cond's last detail.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	e2eutil.Eventually(t, pollEvery, timeout, what, cond)
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

// partitionName finds the name of model's partition i among ws (the
// controller tags partition names: papdl-<model>-p<i>-<tag>), or "".
func partitionName(ws map[string]workload, model string, i int) string {
	for name := range ws {
		if runtime.HasPartitionName(name, model, i) {
			return name
		}
	}
	return ""
}
