package distributedmodel_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/runtime"
)

func baseSpec(m *models) e2eutil.Spec {
	return e2eutil.Spec{Name: "m", ModelPath: m.a, SourceHost: "edge1", InputShape: []int64{1, 1, 28, 28}, GatewayPort: 18001}
}

// serving converges the base spec and returns the cluster.
func serving(t *testing.T, m *models) *cluster {
	t.Helper()
	c := newCluster(t)
	c.input = m.input
	c.write("m.yaml", baseSpec(m).YAML())
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	if ready(c.record("m")) == nil {
		t.Fatalf("base spec not Ready: %s", conditionsOf(c.record("m")))
	}
	return c
}

// stillServes asserts that the model's workloads are as before and that
// its endpoint answers with the model's exact output.
func stillServes(t *testing.T, c *cluster, before snapshot, out []byte) {
	t.Helper()
	assertUnchanged(t, c, before)
	got, code := predict(t, c.record("m").Status.Endpoint, c.input)
	if code != 200 || !bytes.Equal(got, out) {
		t.Fatalf("the last good revision no longer serves: HTTP %d, %d bytes", code, len(got))
	}
}

// TestBadSpecQuarantined: a spec file that stops parsing or validating, or
// that a second file contradicts, never deletes the model; the last good
// revision keeps serving and the model says what is wrong (defect 3).
func TestBadSpecQuarantined(t *testing.T) {
	m := newModels(t)
	good := baseSpec(m).YAML()
	tests := []struct {
		name  string
		file  string // written in place of (or beside) m.yaml
		data  string
		wants string // in the Ready condition's message
	}{
		{"yaml syntax error", "m.yaml", strings.Replace(good, "spec:", "spec: [", 1), "m.yaml"},
		{"binary garbage", "m.yaml", "\x00\x01\x02\xff\xfe garbage", "m.yaml"},
		{"unknown field", "m.yaml", strings.Replace(good, "sourceNode:", "sourceNodee:", 1), "sourceNodee"},
		{"invalid name", "m.yaml", strings.Replace(good, "name: m}", "name: ../../x}", 1), "metadata.name"},
		{"declared twice", "copy.yaml", good, "declared more than once"},
		{"huge numbers", "m.yaml", strings.Replace(good, "port: 18001", "port: 1e400", 1), "port"},
		{"too large a file", "m.yaml", good + "# " + strings.Repeat("x", distributedmodel.MaxSpecFileBytes) + "\n", "bytes"},
		{"alias bomb", "m.yaml", good + "  x: &a [1,1,1,1,1,1,1,1,1]\n  y: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  z: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  v: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", "m.yaml"},
		{"deep nesting", "m.yaml", good + "  deep: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", "m.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serving(t, m)
			before := c.snapshot("m")
			c.write(tc.file, tc.data)
			done := make(chan error, 1)
			go func() { done <- c.converge("m") }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the reconcile hangs on a bad spec")
			}
			if err == nil || !reconcilers.IsTerminal(err) {
				t.Fatalf("err = %v, want a terminal (stalled) error", err)
			}
			rec := c.record("m")
			cond := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionReady)
			if cond == nil || !strings.Contains(cond.Message, tc.wants) || !strings.Contains(cond.Message, "keeps serving") {
				t.Fatalf("Ready condition does not say what is wrong (%q) and that the last revision serves: %+v", tc.wants, cond)
			}
			stillServes(t, c, before, m.outA)
			// Fixed: serving again without a restart.
			if tc.file != "m.yaml" {
				_ = os.Remove(filepath.Join(c.specsDir, tc.file))
			}
			c.write("m.yaml", good)
			if err := c.converge("m"); err != nil || ready(c.record("m")) == nil {
				t.Fatalf("after the fix: %v, %s", err, conditionsOf(c.record("m")))
			}
			assertUnchanged(t, c, before)
		})
	}
}

// TestUnsafeNamesNeverBecomePaths: a name that is not a DNS label is
// refused before it touches the state directory (defect 4).
func TestUnsafeNamesNeverBecomePaths(t *testing.T) {
	m := newModels(t)
	c := serving(t, m)
	before := c.snapshot("m")
	outside := filepath.Join(filepath.Dir(c.st.Dir()), "canary")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"..", "../../x", "a/b", ".", "", "UPPER", strings.Repeat("a", 64)} {
		_, err := c.r.Reconcile(context.Background(), reconcilers.Request{Name: name})
		if err == nil || !reconcilers.IsTerminal(err) {
			t.Errorf("name %q: err = %v, want terminal", name, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("a file beside the state directory was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.st.Dir(), "models", "m", "status.json")); err != nil {
		t.Fatalf("the state directory was damaged: %v", err)
	}
	stillServes(t, c, before, m.outA)
}

// TestModelFileThatIsNotAFile: a device, a directory or an oversized file
// as the model stalls the model at once instead of wedging a worker
// (defect 5).
func TestModelFileThatIsNotAFile(t *testing.T) {
	m := newModels(t)
	for _, path := range []string{"/dev/zero", os.TempDir()} {
		t.Run(path, func(t *testing.T) {
			c := newCluster(t)
			spec := baseSpec(m)
			spec.ModelPath = path
			c.write("m.yaml", spec.YAML())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := c.r.Reconcile(ctx, reconcilers.Request{Name: "m"})
			if ctx.Err() != nil || err == nil || !reconcilers.IsTerminal(err) || !strings.Contains(err.Error(), "regular file") {
				t.Fatalf("err = %v (ctx %v), want a quick terminal error about a regular file", err, ctx.Err())
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		c := newCluster(t)
		c.r.MaxModelBytes = 1024
		c.write("m.yaml", baseSpec(m).YAML())
		_, err := c.r.Reconcile(context.Background(), reconcilers.Request{Name: "m"})
		if err == nil || !reconcilers.IsTerminal(err) || !strings.Contains(err.Error(), "more than the 1024 allowed") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestCorruptStateRebuilt: a truncated status.json or plan.json is rebuilt
// from what the runtime runs, with an event, without redeploying or
// benchmarking again (defect 6).
func TestCorruptStateRebuilt(t *testing.T) {
	m := newModels(t)
	for _, file := range []string{"status.json", "plan.json"} {
		t.Run(file, func(t *testing.T) {
			c := serving(t, m)
			before := c.snapshot("m")
			bench := c.rt.Benchmarks()
			path := filepath.Join(c.st.Dir(), "models", "m", file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			if err := c.converge("m"); err != nil {
				t.Fatalf("converge over a corrupt %s: %v", file, err)
			}
			if ready(c.record("m")) == nil {
				t.Fatalf("not Ready after rebuilding: %s", conditionsOf(c.record("m")))
			}
			stillServes(t, c, before, m.outA)
			if c.rt.Benchmarks() != bench {
				t.Errorf("rebuilding the state benchmarked the cluster again")
			}
		})
	}
}

// TestPortConflict: two models on one gateway port: the one deployed first
// keeps serving its own model; the second stalls naming the port and the
// holder, and nothing restarts in a loop (defect 2).
func TestPortConflict(t *testing.T) {
	m := newModels(t)
	c := serving(t, m)
	before := c.snapshot("m")
	other := baseSpec(m)
	other.Name, other.ModelPath = "other", m.b
	c.write("other.yaml", other.YAML())
	err := c.converge("other")
	if err == nil || !reconcilers.IsTerminal(err) || !strings.Contains(err.Error(), "18001") || !strings.Contains(err.Error(), `"m"`) {
		t.Fatalf("second model on the port: err = %v, want a stall naming port 18001 and model m", err)
	}
	if ready(c.record("other")) != nil {
		t.Fatal("the second model reports Ready on a port another model serves")
	}
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	stillServes(t, c, before, m.outA)
	// Another process holding the port (not a spec): found at run time.
	third := newCluster(t)
	third.input = m.input
	third.rt = c.rt
	r := distributedmodel.NewReconciler(third.specsDir, third.st, c.rt, c.r.Log)
	third.r = r
	spec := baseSpec(m)
	spec.Name = "third"
	third.write("third.yaml", spec.YAML())
	err = third.converge("third")
	if err == nil || !reconcilers.IsTerminal(err) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("port held by another process: err = %v, want a stall saying so", err)
	}
	stillServes(t, c, before, m.outA)
}

// TestDiffIsTheReconcilesDryRun: diff predicts exactly what the reconcile
// then does, writes nothing, and sees no change for an unchanged spec
// (defect 10).
func TestDiffIsTheReconcilesDryRun(t *testing.T) {
	m := newModels(t)
	n := m.units
	tests := []struct {
		name        string
		spec        func(s *e2eutil.Spec)
		wantChanges bool
	}{
		{"unchanged", func(s *e2eutil.Spec) {}, false},
		{"pins", func(s *e2eutil.Spec) {
			s.Pins = []e2eutil.Pin{{Start: 0, End: 2, Host: "edge1"}, {Start: 2, End: n, Host: "edge2"}}
		}, true},
		{"port", func(s *e2eutil.Spec) { s.GatewayPort = 18003 }, true},
		{"weights", func(s *e2eutil.Spec) { s.ModelPath = m.b }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serving(t, m)
			spec := baseSpec(m)
			tc.spec(&spec)
			decls := distributedmodel.Declarations([]byte(spec.YAML()), filepath.Join(c.specsDir, "m.yaml"))
			stateBefore := treeDigest(t, c.st.Dir())
			before := c.snapshot("m")
			d, err := c.r.Diff(context.Background(), decls[0])
			if err != nil {
				t.Fatal(err)
			}
			if d.Changes() != tc.wantChanges {
				t.Fatalf("Changes() = %v, want %v: %+v", d.Changes(), tc.wantChanges, d)
			}
			if treeDigest(t, c.st.Dir()) != stateBefore {
				t.Fatal("the dry run wrote to the state directory")
			}
			assertUnchanged(t, c, before)
			// The real reconcile does what the dry run said.
			c.write("m.yaml", spec.YAML())
			if err := c.converge("m"); err != nil {
				t.Fatal(err)
			}
			after := c.snapshot("m")
			for _, w := range d.Workloads {
				started := after.starts[w.Name] > before.starts[w.Name]
				switch w.Action {
				case distributedmodel.ActionKeep:
					if started {
						t.Errorf("diff said keep %s, the reconcile started it", w.Name)
					}
				case distributedmodel.ActionRemove:
					if _, ok := after.hash[w.Name]; ok {
						t.Errorf("diff said remove %s, it is still there", w.Name)
					}
				default:
					if !started {
						t.Errorf("diff said %s %s, the reconcile did not start it", w.Action, w.Name)
					}
				}
			}
			for name := range after.hash {
				if after.starts[name] > before.starts[name] && !diffNames(d, name) {
					t.Errorf("the reconcile started %s, which the diff did not list", name)
				}
			}
		})
	}
}

func diffNames(d *distributedmodel.Diff, name string) bool {
	for _, w := range d.Workloads {
		if w.Name == name && w.Action != distributedmodel.ActionKeep {
			return true
		}
	}
	return false
}

// treeDigest lists every file under dir with its size and modification time.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s %d\n", path, info.ModTime(), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDeletedSpecCancelsItsBenchmark: deleting a spec while its model is
// being benchmarked ends the benchmark, and the next reconcile removes
// what the model created (defect 7).
func TestDeletedSpecCancelsItsBenchmark(t *testing.T) {
	m := newModels(t)
	c := newCluster(t)
	started, release := c.rt.HoldBenchmarks()
	defer release()
	c.write("m.yaml", baseSpec(m).YAML())
	done := make(chan error, 1)
	go func() {
		_, err := c.r.Reconcile(context.Background(), reconcilers.Request{Name: "m"})
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the benchmark never started")
	}
	if err := os.Remove(filepath.Join(c.specsDir, "m.yaml")); err != nil {
		t.Fatal(err)
	}
	c.r.Cancel("m")
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("the cancelled reconcile returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the benchmark of a deleted spec kept running")
	}
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.st.Dir(), "models", "m")); !os.IsNotExist(err) {
		t.Fatalf("the deleted model's state is still there: %v", err)
	}
}

// TestPlacementLeavesOtherModelsMemory: the planner places a model in the
// memory the other models' workloads leave. With the source node's memory
// (the fastest node, where the model would run whole) reserved by another
// model, no unit lands there (before, the planner saw every node's whole
// memory and placed the model where the other one already was, where its
// tasks could never be scheduled).
func TestPlacementLeavesOtherModelsMemory(t *testing.T) {
	m := newModels(t)
	c := newCluster(t)
	c.input = m.input
	for _, n := range testNodes {
		if n.ID != "local" {
			continue
		}
		w := runtime.Workload{Name: runtime.WorkloadName("other", 0) + "-" + n.ID, Model: "other", Role: runtime.RolePartition,
			Node: n.ID, ArtifactPath: m.a, MemoryReservation: n.MemoryBytes}
		if _, err := c.rt.Apply(t.Context(), w); err != nil {
			t.Fatal(err)
		}
	}
	spec := baseSpec(m)
	spec.SourceHost = "local"
	c.write("m.yaml", spec.YAML())
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	rec := c.record("m")
	for _, p := range rec.Status.Placement.Partitions {
		if p.Node == "local" {
			t.Errorf("partition %d on %s, where another model reserves all the memory", p.Index, p.Node)
		}
	}
}
