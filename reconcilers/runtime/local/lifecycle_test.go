package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// waitFor polls cond until it holds; the test's own deadline bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if deadline, ok := t.Deadline(); ok && time.Until(deadline) < time.Second {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func logContains(t *testing.T, r *Runtime, name, s string) bool {
	t.Helper()
	path, err := r.logPath(name)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}

// TestStopDoesNotBlockOthersAndHonoursContext: while Remove waits for a
// process that ignores SIGTERM, List answers; cancelling Remove's context
// kills the process and returns the context's error.
func TestStopDoesNotBlockOthersAndHonoursContext(t *testing.T) {
	r := newTestRuntime(t, "stubborn")
	w := partition("m", 0)
	if _, err := r.Apply(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	rec, _ := r.readRecord(w.Name)
	waitFor(t, "the process to listen", func() bool { return !portFree(rec.Listen) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	removed := make(chan error, 1)
	go func() { removed <- r.Remove(ctx, w.Name) }()
	waitFor(t, "the process to get SIGTERM", func() bool {
		select {
		case err := <-removed:
			lp, _ := r.logPath(w.Name)
			b, _ := os.ReadFile(lp)
			t.Fatalf("Remove returned %v before the test cancelled it; log: %s", err, b)
		default:
		}
		return logContains(t, r, w.Name, "got SIGTERM")
	})
	if _, err := r.List(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-removed:
		t.Fatalf("List returned only after Remove (%v): the runtime's lock is held while a process stops", err)
	default:
	}
	cancel()
	if err := <-removed; !errors.Is(err, context.Canceled) {
		t.Errorf("Remove after cancel = %v, want context.Canceled", err)
	}
	if procRuns(rec.PID, r.cmdline(rec)) {
		t.Errorf("pid %d still runs after a cancelled Remove", rec.PID)
	}
	if _, err := r.Apply(ctx, w); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context = %v, want context.Canceled", err)
	}
	if err := r.Remove(context.Background(), w.Name); err != nil {
		t.Errorf("Remove retried: %v", err)
	}
}

// TestBindFailureAndCrashLoop: a gateway whose port another model's gateway
// holds exits; List names the port and the holder; after one immediate
// restart it backs off, and Apply changes nothing until the next start.
func TestBindFailureAndCrashLoop(t *testing.T) {
	t.Setenv(fakeNodeEnv, "serve")
	r, err := New(Config{NodeBinary: os.Args[0], Dir: t.TempDir(), CrashBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Clean(context.Background(), "") })
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(ctx, gateway("a", port)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gateway a to listen", func() bool { return !portFree(port) })
	b := gateway("b", port)
	exited := func() bool {
		rec, err := r.readRecord(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return !r.alive(rec)
	}
	for i := 0; i < 2; i++ {
		if changed, err := r.Apply(ctx, b); err != nil || !changed {
			t.Fatalf("start %d of gateway b: %v, %v", i+1, changed, err)
		}
		waitFor(t, "gateway b to exit", exited)
	}
	o := observed(t, r, "b")[b.Name]
	for _, want := range []string{fmt.Sprintf("port %d", port), "address already in use", "papdl-a-gateway"} {
		if !strings.Contains(o.Message, want) {
			t.Errorf("message %q lacks %q", o.Message, want)
		}
	}
	if changed, err := r.Apply(ctx, b); err != nil || changed {
		t.Fatalf("Apply in a crash loop = %v, %v; want no change until the backoff ends", changed, err)
	}
	o = observed(t, r, "b")[b.Name]
	if !strings.Contains(o.Message, "crash loop") || !strings.Contains(o.Message, "next start in") || o.Restarts != 1 {
		t.Errorf("after backing off: %+v", o)
	}
	// A changed definition starts at once.
	b.Port, err = freePort()
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := r.Apply(ctx, b); err != nil || !changed {
		t.Errorf("Apply of a changed workload in a crash loop = %v, %v; want it started", changed, err)
	}
}

func TestBackoff(t *testing.T) {
	r := &Runtime{cfg: Config{CrashBackoff: time.Second, MaxCrashBackoff: 10 * time.Second}}
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for streak, w := range want {
		if got := r.backoff(streak); got != w {
			t.Errorf("backoff(%d) = %s, want %s", streak, got, w)
		}
	}
	if got := r.backoff(1000); got != 10*time.Second {
		t.Errorf("backoff(1000) = %s", got)
	}
}

// TestCleanFindsProcessesByEnvironment: Clean stops the model's processes
// that have no record (a benchmark of a killed controller), not other
// models'.
func TestCleanFindsProcessesByEnvironment(t *testing.T) {
	r := newTestRuntime(t, "serve")
	start := func(model string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "bench", "--node", "local")
		cmd.Env = append(append(os.Environ(), fakeNodeEnv+"=sleep"), r.identityEnv(taskBench, model)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	mine, other := start("m"), start("other")
	waitFor(t, "the benchmarks to start", func() bool {
		ps, _ := r.procs()
		return len(ps) == 2
	})
	if err := r.Clean(context.Background(), "m"); err != nil {
		t.Fatalf("Clean: %v", err)
	}
	// Clean returns once the process is gone (SIGTERM, then SIGKILL): it
	// must have exited by now, whatever its status.
	exited := make(chan struct{})
	go func() { _ = mine.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Errorf("model m's benchmark still runs after Clean")
	}
	if syscall.Kill(other.Process.Pid, 0) != nil {
		t.Errorf("another model's benchmark was stopped")
	}
}

// TestRecreatedWorkloadKeepsItsNeighboursPort: a partition removed and
// applied again listens where the partition before it sends.
func TestRecreatedWorkloadKeepsItsNeighboursPort(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	for _, w := range []runtime.Workload{partition("m", 0), partition("m", 1)} {
		if _, err := r.Apply(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	p0, _ := r.readRecord(runtime.WorkloadName("m", 0))
	sendsTo, err := portFlag(p0.Args, "--next")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(ctx, runtime.WorkloadName("m", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(ctx, partition("m", 1)); err != nil {
		t.Fatal(err)
	}
	p1, _ := r.readRecord(runtime.WorkloadName("m", 1))
	if p1.Listen != sendsTo {
		t.Errorf("recreated partition 1 listens on %d, partition 0 sends to %d", p1.Listen, sendsTo)
	}
}
