package wholefile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: the target holds the new data with the given permissions and
// no temporary file is left; a failed write leaves the old contents.
func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		perm os.FileMode
		old  []byte // nil: no file before
	}{
		{"new private file", 0o600, nil},
		{"replace a readable file", 0o644, []byte("old contents, longer than the new")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, []byte("new"), tc.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != "new" {
				t.Fatalf("contents %q, %v; want new", got, err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.perm {
				t.Errorf("mode %v, %v; want %v", fi.Mode().Perm(), err, tc.perm)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("directory holds %d entries, want the file alone", len(entries))
			}
		})
	}
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "d")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := Write(target, []byte("x"), 0o600); err == nil {
			t.Fatal("Write over a directory succeeded")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("a failed write left %d entries, want the directory alone", len(entries))
		}
	})
}
