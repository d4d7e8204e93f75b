package wholefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRead: a file within the bound reads whole; a larger one, a FIFO
// (which reports no size) and a directory are refused; a missing file
// says so.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	small, big, fifo := filepath.Join(dir, "small"), filepath.Join(dir, "big"), filepath.Join(dir, "fifo")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, []byte("123456"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error // nil: reads "12345"
	}{
		{"at the bound", small, nil},
		{"one byte over", big, ErrTooLarge},
		{"a FIFO", fifo, ErrNotRegular},
		{"a directory", dir, ErrNotRegular},
		{"missing", filepath.Join(dir, "none"), fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Read(tc.path, 5)
			if tc.want == nil {
				if err != nil || string(b) != "12345" {
					t.Fatalf("Read = %q, %v", b, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Read error %v, want %v", err, tc.want)
			}
		})
	}
}
