package local

import (
	"context"
	"fmt"
	"strings"
	"testing"
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
