package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// followEvery is how often a followed log file is checked for growth.
const followEvery = 250 * time.Millisecond

// Logs implements runtime.Runtime: the workload's log file (its process's
// stdout and stderr), kept under the runtime's directory until the
// workload is removed.
func (r *Runtime) Logs(ctx context.Context, name string, opts runtime.LogOptions, w io.Writer) error {
	path, err := r.logPath(name)
	if err != nil {
		return err
	}
	return tailFile(ctx, path, opts, w)
}

// tailFile writes the last opts.Tail lines of path (all of its last
// runtime.MaxLogBytes when 0), then, with opts.Follow, what is appended
// until ctx ends; a file truncated or replaced meanwhile (a restart) is
// read again from its start.
func tailFile(ctx context.Context, path string, opts runtime.LogOptions, w io.Writer) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("log of %s: %w", path, runtime.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	start := max(st.Size()-runtime.MaxLogBytes, 0)
	end := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(end, start); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("log %s: %w", path, err)
	}
	if _, err := w.Write(tailLines(end, opts.Tail)); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	offset := st.Size()
	tick := time.NewTicker(followEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now, err := os.Stat(path)
		if err != nil {
			continue // between a removal and a restart
		}
		if now.Size() < offset || !os.SameFile(st, now) {
			if f, err = reopen(f, path); err != nil {
				continue
			}
			st, offset = now, 0
		}
		n, err := io.Copy(w, io.NewSectionReader(f, offset, now.Size()-offset))
		offset += n
		if err != nil {
			return err
		}
	}
}

// reopen closes f and opens path again.
func reopen(f *os.File, path string) (*os.File, error) {
	f.Close()
	return os.Open(path)
}

// tailLines returns the last n lines of b (all of it when n <= 0).
func tailLines(b []byte, n int) []byte {
	if n <= 0 {
		return b
	}
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end-- // the final newline ends the last line
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(b[:end], '\n')
		if j < 0 {
			return b
		}
		end = j
	}
	return b[end+1:]
}
