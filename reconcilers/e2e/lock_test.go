package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondControllerRefused: a second controller on the same state
// directory exits at once with an error naming the first one's pid
// (defect 11: it used to reconcile alongside the first).
func TestSecondControllerRefused(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	lock := filepath.Join(c.State, ".lock")
	var holder string
	eventually(t, shortTimeout, "the first controller to hold the lock", func() (bool, string) {
		b, _ := os.ReadFile(lock)
		holder = strings.TrimSpace(string(b))
		return holder != "", "no pid in " + lock
	})
	// A guard, not a measurement: a second controller that is not refused
	// runs until killed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, fixture.bin.Ctl, "controller", "--specs-dir", c.Specs, "--state-dir", c.State,
		"--node-binary", fixture.bin.Node, "--runtime", "local")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("a second controller on the same state directory kept running:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "locked") || !strings.Contains(string(out), "pid "+holder) {
		t.Errorf("second controller: %v\n%s\nwant a refusal naming pid %s", err, out, holder)
	}
}
