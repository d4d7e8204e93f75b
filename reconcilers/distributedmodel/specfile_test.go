package distributedmodel

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadSpecFileRefusesAFIFO: a FIFO named like a spec (nobody writing
// to it) is refused at once; opening it for reading used to block the
// controller's reconcile forever.
func TestReadSpecFileRefusesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadSpecFile(path)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("ReadSpecFile of a FIFO succeeded")
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the test binary can exit.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("ReadSpecFile of a FIFO hung")
	}
}
