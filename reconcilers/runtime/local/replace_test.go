package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// TestReplacedWorkloadRuns: a workload whose definition changed is
// replaced by a process that runs and listens on the same port.
func TestReplacedWorkloadRuns(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	w := partition("m", 1)
	if _, err := r.Apply(ctx, w); err != nil {
		t.Fatal(err)
	}
	old, _ := r.readRecord(w.Name)
	waitFor(t, "the first process to listen", func() bool { return !portFree(old.Listen) })
	w.ArtifactSHA256 = "y"
	if changed, err := r.Apply(ctx, w); err != nil || !changed {
		t.Fatalf("Apply of a changed workload = %v, %v", changed, err)
	}
	rec, _ := r.readRecord(w.Name)
	if rec.PID == old.PID || rec.Listen != old.Listen {
		t.Fatalf("replacement: pid %d -> %d, port %d -> %d", old.PID, rec.PID, old.Listen, rec.Listen)
	}
	waitFor(t, "the replacement to listen", func() bool {
		if !r.alive(rec) {
			t.Fatalf("the replacement (pid %d) exited: %s", rec.PID, r.lastLogLine(w.Name))
		}
		return !portFree(rec.Listen)
	})
}

// TestRunningMeansListening: a process that runs but does not listen (yet)
// is not reported running, so a replaced partition that is still loading
// does not make its model Ready.
func TestRunningMeansListening(t *testing.T) {
	r := newTestRuntime(t, "sleep")
	w := partition("m", 0)
	if _, err := r.Apply(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	rec, _ := r.readRecord(w.Name)
	o := observed(t, r, "m")[w.Name]
	if o.Running || !strings.Contains(o.Message, fmt.Sprintf("not listening on port %d", rec.Listen)) {
		t.Errorf("a process that does not listen: %+v", o)
	}
}

// TestCleanByAnotherProcessConverges: `papdlctl clean --model m` (another
// Runtime on the same directory) removes everything of m; the controller's
// next applies rebuild a chain whose ports match again.
func TestCleanByAnotherProcessConverges(t *testing.T) {
	r := newTestRuntime(t, "serve")
	ctx := context.Background()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	chain := []runtime.Workload{partition("m", 0), partition("m", 1), gateway("m", port)}
	applyAll := func() {
		for _, w := range chain {
			if _, err := r.Apply(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	applyAll()
	waitServing(t, r, chain[0].Name, chain[1].Name, chain[2].Name)
	cleaner, err := New(Config{NodeBinary: r.cfg.NodeBinary, Dir: r.cfg.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := cleaner.Clean(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if obs := observed(t, r, "m"); len(obs) != 0 {
		t.Fatalf("after clean the controller's runtime still lists %v", obs)
	}
	applyAll()
	waitServing(t, r, chain[0].Name, chain[1].Name, chain[2].Name)
	rec := map[string]*record{}
	for _, w := range chain {
		rec[w.Name], _ = r.readRecord(w.Name)
	}
	p0, p1, gw := rec[chain[0].Name], rec[chain[1].Name], rec[chain[2].Name]
	links := []struct {
		from *record
		flag string
		to   int
	}{
		{p0, "--next", p1.Listen}, {p1, "--next", gw.Return}, {p0, "--return", gw.Return}, {p1, "--return", gw.Return},
	}
	for _, l := range links {
		if got, err := portFlag(l.from.Args, l.flag); err != nil || got != l.to {
			t.Errorf("%s %s %d (%v), want %d", l.from.Workload.Name, l.flag, got, err, l.to)
		}
	}
}

// TestRelativeDirFindsTheSameProcesses: a runtime opened with a relative
// or symlinked directory (papdlctl clean from another working directory)
// finds the processes of one opened with the absolute path.
func TestRelativeDirFindsTheSameProcesses(t *testing.T) {
	r := newTestRuntime(t, "serve")
	if _, err := r.Apply(context.Background(), partition("m", 0)); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(r.cfg.Dir, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Dir(link))
	other, err := New(Config{NodeBinary: r.cfg.NodeBinary, Dir: "link"})
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := other.procs(); err != nil || len(ps) != 1 {
		t.Errorf("the runtime opened as %q finds %v, %v; want the one process", "link", ps, err)
	}
}
