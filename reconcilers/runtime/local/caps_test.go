package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// TestCapsAreEnforcedOrNotClaimed: with cgroups, a simulated node reports
// its declared caps and its processes run inside its cgroup with that CPU
// quota and memory limit; without, it reports the host's resources (what
// really runs) and says so in a label.
func TestCapsAreEnforcedOrNotClaimed(t *testing.T) {
	sim := []SimulatedNode{{Name: "edge1", CPUs: 0.5, Memory: "256Mi"}}
	t.Run("none", func(t *testing.T) {
		r, err := New(Config{NodeBinary: testBinary(), Dir: t.TempDir(), Simulated: sim, Caps: CapsNone})
		if err != nil {
			t.Fatal(err)
		}
		ns := r.nodes()
		if ns[1].CPUs != ns[0].CPUs || ns[1].MemoryBytes != ns[0].MemoryBytes || ns[1].Labels[LabelCaps] != "none" {
			t.Fatalf("uncapped edge1 = %+v, want the host's resources and papdl.io/caps=none", ns[1])
		}
		if env := r.env("edge1"); len(env) != 0 {
			t.Fatalf("uncapped node's environment %v, want none", env)
		}
	})
	t.Run("cgroup", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("creating cgroups needs root")
		}
		t.Setenv(fakeNodeEnv, "serve")
		r, err := New(Config{NodeBinary: testBinary(), Dir: t.TempDir(), Simulated: sim, Caps: CapsCgroup})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Clean(contextForCleanup(), "") })
		ns := r.nodes()
		if ns[1].CPUs != 0.5 || ns[1].MemoryBytes != 256<<20 || ns[1].Labels[LabelCaps] != "cgroup" {
			t.Fatalf("capped edge1 = %+v", ns[1])
		}
		w := partition("m", 0)
		w.Node = "edge1"
		w.Next = runtime.WorkloadName("m", -1)
		if _, err := r.Apply(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		obs, err := r.List(context.Background(), "m")
		if err != nil || len(obs) == 0 {
			t.Fatalf("List: %v, %v", obs, err)
		}
		rec, err := r.load(w.Name)
		if err != nil || rec == nil {
			t.Fatalf("record: %v", err)
		}
		dirs := r.cg.dirs["edge1"]
		if len(dirs) == 0 {
			t.Fatal("no cgroup for edge1")
		}
		for _, dir := range dirs {
			procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			if err != nil || !containsLine(string(procs), strconv.Itoa(rec.PID)) {
				t.Errorf("pid %d is not in %s (%q, %v)", rec.PID, dir, procs, err)
			}
		}
		quota := readFirst(t, dirs[0], "cpu.max", "cpu.cfs_quota_us")
		if f := strings.Fields(quota); len(f) == 0 || f[0] != "5000" {
			t.Errorf("CPU quota %q, want 5000 µs per 10000", quota)
		}
		// Each process's Go heap gets its share of the node, not the whole
		// node (processes on a node share its cgroup).
		for _, tt := range []struct {
			reservation int64
			want        string
		}{{0, "GOMEMLIMIT=268435456"}, {64 << 20, fmt.Sprintf("GOMEMLIMIT=%d", runtime.HeapLimit(64<<20))}, {1 << 30, "GOMEMLIMIT=268435456"}} {
			if env := r.envFor("edge1", tt.reservation); !slices.Contains(env, tt.want) {
				t.Errorf("reservation %d: environment %v, want %s", tt.reservation, env, tt.want)
			}
		}
		limit := readFirst(t, dirs[len(dirs)-1], "memory.max", "memory.limit_in_bytes")
		if limit != strconv.Itoa(256<<20) {
			t.Errorf("memory limit %q, want %d", limit, 256<<20)
		}
		// Close keeps the cgroups of running workloads (the next runtime
		// adopts them) and removes the emptied ones.
		if err := r.Close(); err != nil {
			t.Fatalf("Close with a workload running: %v", err)
		}
		for _, dir := range dirs {
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("Close removed %s while a workload runs in it: %v", dir, err)
			}
		}
		if err := r.Remove(context.Background(), w.Name); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close after the last workload: %v", err)
		}
		for _, dir := range dirs {
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("Close left the emptied cgroup %s", dir)
			}
		}
	})
}

// TestReleaseCgroupsRemovesEmptiedOnes: the cgroups of a runtime whose
// workloads are gone are removed by its directory's name alone (a test's
// cleanup after the controller stopped), and nobody else's.
func TestReleaseCgroupsRemovesEmptiedOnes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	sim := []SimulatedNode{{Name: "edge1", CPUs: 0.5, Memory: "256Mi"}}
	dirA, dirB := t.TempDir(), t.TempDir()
	a, err := New(Config{NodeBinary: testBinary(), Dir: dirA, Simulated: sim, Caps: CapsCgroup})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{NodeBinary: testBinary(), Dir: dirB, Simulated: sim, Caps: CapsCgroup})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if err := ReleaseCgroups(dirA); err != nil {
		t.Fatal(err)
	}
	for _, dir := range a.cg.dirs["edge1"] {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("ReleaseCgroups(%s) left %s", dirA, dir)
		}
	}
	for _, dir := range b.cg.dirs["edge1"] {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("ReleaseCgroups(%s) removed another runtime's %s: %v", dirA, dir, err)
		}
	}
}

func containsLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// readFirst reads the first of files that exists in dir (v2 or v1 name).
func readFirst(t *testing.T, dir string, files ...string) string {
	t.Helper()
	for _, f := range files {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("none of %v in %s", files, dir)
	return ""
}
