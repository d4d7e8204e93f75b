package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
)

// 9. `papdlctl wait` waits for the spec as it is now: right after a spec
// change it does not return on the previous generation's Ready; for a name
// nobody declares it fails at once.
func TestWaitHonoursTheCurrentGeneration(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	port := freePort(t)
	s := spec{name: "mnist", model: fixture.modelA, port: port}
	c.apply(s)
	c.MustCtl("wait", "--for", "condition=Ready", "mnist", "--timeout", "2m", "--specs-dir", c.Specs, "--state-dir", c.State)
	s.pins = []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}
	c.apply(s)
	c.MustCtl("wait", "--for", "condition=Ready", "mnist", "--timeout", "2m", "--specs-dir", c.Specs, "--state-dir", c.State)
	rec, _, err := distributedmodel.LoadRecord(c.Store, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	decls, err := distributedmodel.ScanSpecs(c.Specs)
	if err != nil {
		t.Fatal(err)
	}
	ready := condition(rec, "Ready")
	if rec.SpecHash != distributedmodel.SpecHash(decls["mnist"][0].Object) || ready == nil || ready.Status != "True" ||
		ready.ObservedGeneration != rec.Generation || rec.Generation != 2 {
		t.Fatalf("wait returned before the new generation was Ready: generation %d, Ready %+v", rec.Generation, ready)
	}
	if n := len(rec.Status.Placement.Partitions); n != 2 {
		t.Fatalf("wait returned with %d partitions placed, the new spec pins 2", n)
	}
	out, err := c.Ctl("wait", "--for", "condition=Ready", "nosuch", "--timeout", "10m", "--specs-dir", c.Specs, "--state-dir", c.State)
	if err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("wait for an unknown name: %v: %s", err, out)
	}
}

// 11. `papdlctl clean --model` under a running controller: the controller
// deploys the model again and it serves the right answers (defect 8).
func TestCleanUnderARunningControllerConverges(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	c.apply(spec{name: "mnist", model: fixture.modelA, port: freePort(t), pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}})
	c.waitReady("mnist", "")
	before := pids(c.workloads("mnist"))
	out := c.MustCtl("clean", "--model", "mnist", "--state-dir", c.State, "--node-binary", fixture.bin.Node)
	if !strings.Contains(out, "removed 3 workloads") {
		t.Fatalf("clean printed %q", out)
	}
	eventually(t, readyTimeout, "mnist deployed again and Ready", func() (bool, string) {
		after := pids(c.workloads("mnist"))
		rec := c.Record("mnist")
		fresh := len(after) == 3
		for name, pid := range after {
			fresh = fresh && pid != before[name] && nodeProcessAlive(pid)
		}
		return fresh && e2eutil.IsReady(rec), e2eutil.StatusSummary(rec)
	})
	eventually(t, shortTimeout, "a correct prediction", func() (bool, string) {
		got, err := c.predict("mnist")
		return err == nil && bytes.Equal(got, fixture.monoA), fmt.Sprint(err)
	})
}

// 12. A second controller on the same directories refuses to start, naming
// the one that holds them (defect 11); the first one keeps serving.
func TestSecondControllerRefused(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	c.apply(spec{name: "mnist", model: fixture.modelA, port: freePort(t)})
	c.waitReady("mnist", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, fixture.bin.Ctl, "controller", "--specs-dir", c.Specs, "--state-dir", c.State,
		"--node-binary", fixture.bin.Node)
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "pid") {
		t.Fatalf("a second controller: err %v (ctx %v), output:\n%s", err, ctx.Err(), out)
	}
	c.mustPredictEqual("mnist", fixture.monoA, "after a second controller was refused")
}

// 13. `papdlctl diff` is the reconcile's dry run against the running
// controller's runtime and nodes (no flags repeated): exit 0 for the spec it
// serves, exit 1 with the workloads' fates for a change, and nothing changes.
func TestDiffAgainstARunningController(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	s := spec{name: "mnist", model: fixture.modelA, port: freePort(t), pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}}
	c.apply(s)
	c.waitReady("mnist", "")
	before := pids(c.workloads("mnist"))
	file := filepath.Join(c.Dir, "mnist-diff.yaml")
	write := func(s spec) {
		if err := os.WriteFile(file, []byte(s.yaml()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(s)
	out, err := c.Ctl("diff", "-f", file, "--specs-dir", c.Specs, "--state-dir", c.State, "--node-binary", fixture.bin.Node)
	if err != nil || !strings.Contains(out, "reslice:       no") || !strings.Contains(out, "rebenchmark:   no") {
		t.Fatalf("diff of the served spec: %v\n%s", err, out)
	}
	s.pins[1].host = "local"
	write(s)
	out, err = c.Ctl("diff", "-f", file, "--specs-dir", c.Specs, "--state-dir", c.State, "--node-binary", fixture.bin.Node)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("diff of a changed spec: %v (want exit status 1)\n%s", err, out)
	}
	// Blue/green: new p0 and p1 start, the old ones go, the gateway stays.
	for _, want := range []string{"papdl-mnist-p1-", "papdl-mnist-p0-", "create", "remove", "papdl-mnist-gateway", "keep"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	if got := pids(c.workloads("mnist")); !equalPIDs(before, got) {
		t.Errorf("the dry run changed workloads: %v -> %v", before, got)
	}
}
