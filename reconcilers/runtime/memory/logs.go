package memory

import (
	"context"
	"fmt"
	"io"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Logs implements runtime.Runtime with one line describing the workload
// (a memory workload writes no output); Follow writes nothing more.
func (r *Runtime) Logs(ctx context.Context, name string, opts runtime.LogOptions, w io.Writer) error {
	r.mu.Lock()
	wl, ok := r.workloads[name]
	var line string
	if ok {
		line = fmt.Sprintf("memory workload %s of model %s (partition %d) on node %s, running %v\n",
			name, wl.w.Model, wl.w.Partition, wl.w.Node, wl.running)
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("memory workload %s: %w", name, runtime.ErrNotFound)
	}
	_, err := io.WriteString(w, line)
	return err
}
