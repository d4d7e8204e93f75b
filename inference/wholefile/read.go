package wholefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Errors of Read, wrapped with the path.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
)

// Read returns the contents of the regular file path, of at most max
// bytes. It reads at most max+1 bytes whatever the file's size says (a
// file may grow while it is read). It opens without blocking, so a FIFO
// put where a file was expected is refused instead of hanging the reader.
// Errors of opening are returned as they are (errors.Is(err,
// fs.ErrNotExist) holds for a missing file).
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, st.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrTooLarge, max)
	}
	return b, nil
}
