package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in a state directory that its controller holds an
// exclusive flock(2) on.
const LockFile = ".lock"

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("state directory is locked")

// Lock takes the exclusive lock on the state directory dir without
// waiting: a second controller on the same directory gets an error
// wrapping ErrLocked that names the holder's pid. The lock is the kernel's
// (flock on dir/.lock), so it ends with its holder, however that ends;
// unlock releases it earlier.
func Lock(dir string) (unlock func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by %s (another controller on the same state directory?)",
				ErrLocked, path, holder(path))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() error {
		_ = f.Truncate(0)
		return f.Close() // closing the last descriptor releases the flock
	}, nil
}

// holder describes the process whose pid the lock file holds.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "an unknown process"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "an unknown process"
	}
	return "pid " + strconv.Itoa(pid)
}
