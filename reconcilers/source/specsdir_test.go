package source

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestIsSpecFile(t *testing.T) {
	tests := map[string]bool{
		"a.yaml": true, "b.yml": true, "c.json": true, "dir/x.YAML": true,
		".hidden.yaml": false, "a.yaml~": false, ".a.yaml.swp": false, "#a.yaml#": false,
		"a.yaml.tmp": false, "model.onnx": false, "README.md": false,
	}
	for name, want := range tests {
		if got := IsSpecFile(name); got != want {
			t.Errorf("IsSpecFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSpecsDirEnqueuesChangesAndDeletions lists spec names from file names
// and checks that creating, ignoring and deleting files enqueue the right
// names.
func TestSpecsDirEnqueuesChangesAndDeletions(t *testing.T) {
	dir := t.TempDir()
	list := func() ([]string, error) {
		var names []string
		entries, err := os.ReadDir(dir)
		for _, e := range entries {
			if IsSpecFile(e.Name()) {
				names = append(names, strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())))
			}
		}
		return names, err
	}
	var mu sync.Mutex
	var got []string
	enqueue := func(n string) { mu.Lock(); got = append(got, n); mu.Unlock() }
	s := &SpecsDir{Dir: dir, List: list, Debounce: 20 * time.Millisecond, Resync: time.Hour, Log: zap.NewNop()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = s.Run(ctx, []string{"old"}, enqueue) }()

	waitFor := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			g := append([]string(nil), got...)
			mu.Unlock()
			sort.Strings(g)
			if strings.Join(g, ",") == strings.Join(want, ",") {
				mu.Lock()
				got = nil
				mu.Unlock()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("enqueued %v, want %v", got, want)
	}
	waitFor([]string{"old"})
	if err := os.WriteFile(filepath.Join(dir, "m1.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor([]string{"m1"})
	if err := os.WriteFile(filepath.Join(dir, ".m2.yaml.swp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("an editor temporary enqueued %v", got)
	}
	mu.Unlock()
	if err := os.Remove(filepath.Join(dir, "m1.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor([]string{"m1"})
}
