// Package wholefile reads and writes whole files safely. Read takes a
// regular file of bounded size (the bound holds before anything is
// allocated, whatever the file claims). Write writes whole or not at all:
// the data goes to a temporary file next to the target, is flushed to disk
// and renamed over the target, so that a reader (or a process that starts
// after a crash) sees the old contents or the new ones, never a part.
package wholefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm. The directory must
// exist. The temporary file is private (0600) until it holds the data, so
// a key is never readable by others on the way. On failure the target is
// unchanged and no temporary file is left.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
