package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// truncateRecord cuts a workload's record file in half.
func truncateRecord(t *testing.T, r *Runtime, name string) {
	t.Helper()
	path, err := r.recordPath(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitServing waits until List reports the workloads running.
func waitServing(t *testing.T, r *Runtime, names ...string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%v to serve", names), func() bool {
		obs := observed(t, r, "")
		for _, n := range names {
			if !obs[n].Running {
				return false
			}
		}
		return true
	})
}

func observed(t *testing.T, r *Runtime, model string) map[string]runtime.Observed {
	t.Helper()
	obs, err := r.List(context.Background(), model)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	out := map[string]runtime.Observed{}
	for _, o := range obs {
		out[o.Name] = o
	}
	return out
}

// TestDamagedRecordRebuiltFromProcess: a truncated record of a running
// workload is rebuilt from the process's environment; the workload keeps
// running under the same hash and ports, and Apply leaves it alone.
func TestDamagedRecordRebuiltFromProcess(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	w := partition("m", 0)
	if _, err := r.Apply(ctx, w); err != nil {
		t.Fatal(err)
	}
	waitServing(t, r, w.Name)
	before, err := r.readRecord(w.Name)
	if err != nil || before == nil {
		t.Fatalf("record: %v", err)
	}
	truncateRecord(t, r, w.Name)
	o, ok := observed(t, r, "m")[w.Name]
	if !ok || !o.Running || o.Hash != w.Hash() || o.Workload != w {
		t.Fatalf("after truncation List has %+v (present %v), want it running with hash %s", o, ok, w.Hash())
	}
	after, err := r.readRecord(w.Name)
	if err != nil || after == nil || after.PID != before.PID || after.Listen != before.Listen ||
		strings.Join(after.Args, " ") != strings.Join(before.Args, " ") {
		t.Fatalf("rebuilt record %+v, %v; want %+v", after, err, before)
	}
	if changed, err := r.Apply(ctx, w); err != nil || changed {
		t.Errorf("Apply of the unchanged workload = %v, %v; want no change", changed, err)
	}
	path, _ := r.recordPath(w.Name)
	if _, err := os.Stat(path + ".corrupt"); err != nil {
		t.Errorf("the damaged record was not kept aside: %v", err)
	}
}

// TestDamagedRecordOfDeadWorkloadDropped: with no process to rebuild from,
// the record is dropped; List and Apply go on and start it again.
func TestDamagedRecordOfDeadWorkloadDropped(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	w := partition("m", 0)
	if _, err := r.Apply(ctx, w); err != nil {
		t.Fatal(err)
	}
	rec, _ := r.readRecord(w.Name)
	r.mu.Lock()
	h := r.handle(rec)
	r.mu.Unlock()
	if err := r.stop(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.cfg.Dir, "workloads", w.Name+".json"), []byte("{\"workload\": {\"na"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := observed(t, r, "")[w.Name]; ok {
		t.Errorf("List still shows the workload whose record was damaged and whose process is gone")
	}
	if changed, err := r.Apply(ctx, w); err != nil || !changed {
		t.Fatalf("Apply = %v, %v; want it started again", changed, err)
	}
	waitServing(t, r, w.Name)
}

// TestAdoptAfterLostState: a controller restarted over a runtime directory
// whose records were lost (or damaged) adopts the running workloads and
// kills orphaned benchmark processes.
func TestAdoptAfterLostState(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	ws := []runtime.Workload{partition("m", 0), partition("m", 1)}
	for _, w := range ws {
		if _, err := r.Apply(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	waitServing(t, r, ws[0].Name, ws[1].Name)
	// An orphaned benchmark of a SIGKILLed controller.
	bench := exec.Command(os.Args[0], "bench", "--node", "local")
	bench.Env = append(os.Environ(), fakeNodeEnv+"=sleep")
	bench.Env = append(bench.Env, r.identityEnv(taskBench, "m")...)
	if err := bench.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bench.Process.Kill() })
	// A foreign process of another runtime directory is left alone.
	foreign := exec.Command(os.Args[0], "bench")
	foreign.Env = append(os.Environ(), fakeNodeEnv+"=sleep", EnvRuntimeDir+"="+t.TempDir(), EnvTask+"=bench")
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = foreign.Process.Kill(); _ = foreign.Wait() })

	// State lost: one record deleted, one truncated.
	p0, _ := r.recordPath(ws[0].Name)
	if err := os.Remove(p0); err != nil {
		t.Fatal(err)
	}
	truncateRecord(t, r, ws[1].Name)

	r2, err := New(Config{NodeBinary: r.cfg.NodeBinary, Dir: r.cfg.Dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r2.Adopt(ctx)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if len(rep.Adopted) != 2 || len(rep.Killed) != 1 {
		t.Errorf("Adopt report %+v, want 2 adopted and 1 killed", rep)
	}
	var ws2 syscall.WaitStatus
	err = bench.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws2 = ee.Sys().(syscall.WaitStatus)
	}
	if !ws2.Signaled() {
		t.Errorf("the orphaned benchmark ended with %v, want killed", err)
	}
	if syscall.Kill(foreign.Process.Pid, 0) != nil {
		t.Errorf("another runtime's process was killed")
	}
	obs := observed(t, r2, "m")
	for _, w := range ws {
		if o := obs[w.Name]; !o.Running || o.Workload != w {
			t.Errorf("%s after Adopt: %+v", w.Name, o)
		}
		if changed, err := r2.Apply(ctx, w); err != nil || changed {
			t.Errorf("Apply(%s) after Adopt = %v, %v; want no change", w.Name, changed, err)
		}
	}
	if _, err := os.Stat(p0); err != nil {
		t.Errorf("the lost record was not rebuilt: %v", err)
	}
	var rec record
	if _, err := store.ReadJSON(p0, &rec); err != nil || rec.Listen == 0 {
		t.Errorf("rebuilt record %+v, %v", rec, err)
	}
}
