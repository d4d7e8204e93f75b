package source

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestModelFilesEnqueueTheModelsOfAChangedFile: writing, replacing by
// rename and removing a tracked model file each enqueue exactly the models
// that use it; a file no model uses, and the file a model stopped using,
// enqueue nothing.
func TestModelFilesEnqueueTheModelsOfAChangedFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.onnx"), filepath.Join(dir, "b.onnx")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("v1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := NewModelFiles(zap.NewNop())
	m.Debounce = 50 * time.Millisecond
	got := make(chan string, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = m.Run(ctx, func(model string) { got <- model }) }()
	m.Track("one", a)
	m.Track("two", a)
	m.Track("three", b)
	m.Track("three", a)                // three moved to a: b is nobody's now
	time.Sleep(200 * time.Millisecond) // the directory watch is added by Run

	expect := func(what string, want ...string) {
		t.Helper()
		seen := map[string]bool{}
		for len(seen) < len(want) {
			select {
			case n := <-got:
				seen[n] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: enqueued %v, want %v", what, seen, want)
			}
		}
		for _, w := range want {
			if !seen[w] {
				t.Fatalf("%s: enqueued %v, want %v", what, seen, want)
			}
		}
		select {
		case n := <-got:
			t.Fatalf("%s: also enqueued %q", what, n)
		case <-time.After(300 * time.Millisecond):
		}
	}
	if err := os.WriteFile(a, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("write", "one", "two", "three")
	tmp := filepath.Join(dir, ".a.onnx.tmp")
	if err := os.WriteFile(tmp, []byte("v3"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, a); err != nil {
		t.Fatal(err)
	}
	expect("rename over", "one", "two", "three")
	if err := os.WriteFile(b, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("untracked file")
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	expect("remove", "one", "two", "three")
}
