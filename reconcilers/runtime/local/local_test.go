package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
)

func contextForCleanup() context.Context { return context.Background() }

func TestWorkloadNamesNeverBecomePaths(t *testing.T) {
	r := newTestRuntime(t, "serve")
	outside := filepath.Join(filepath.Dir(r.cfg.Dir), "keep.json")
	if err := os.WriteFile(outside, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := []string{"", "..", "../keep", "../../keep", "a/b", "papdl-../x-gateway", "papdl-A-p0", "papdl-m-p01",
		"papdl-m-px", "m", "papdl--gateway"}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			if err := checkWorkloadName(name); err == nil {
				t.Errorf("checkWorkloadName(%q) accepted it", name)
			}
			if err := r.Remove(ctx, name); err == nil {
				t.Errorf("Remove(%q) = nil, want an error", name)
			}
			w := partition("m", 0)
			w.Name = name
			if _, err := r.Apply(ctx, w); err == nil {
				t.Errorf("Apply(name %q) = nil, want an error", name)
			}
		})
	}
	w := partition("m", 0)
	w.Next = "../../keep"
	if _, err := r.Apply(ctx, w); err == nil {
		t.Errorf("Apply(next %q) = nil, want an error", w.Next)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the runtime directory was removed: %v", err)
	}
	for _, good := range []string{runtime.WorkloadName("m", 0), runtime.WorkloadName("m-1", 12), runtime.WorkloadName("m", -1)} {
		if err := checkWorkloadName(good); err != nil {
			t.Errorf("checkWorkloadName(%q) = %v", good, err)
		}
	}
	// A stray record file never breaks List for the valid ones.
	if err := os.WriteFile(filepath.Join(r.cfg.Dir, "workloads", "Bad..json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.List(ctx, ""); err != nil {
		t.Errorf("List with a stray record file: %v", err)
	}
}
