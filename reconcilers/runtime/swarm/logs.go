package swarm

import (
	"context"
	"fmt"
	"io"
	"strconv"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Logs implements runtime.Runtime: the service's logs (every task's) from
// the engine, stdout and stderr demultiplexed into w.
func (r *Runtime) Logs(ctx context.Context, name string, opts runtime.LogOptions, w io.Writer) error {
	lo := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: "all"}
	if opts.Tail > 0 {
		lo.Tail = strconv.Itoa(opts.Tail)
	}
	rc, err := r.eng.ServiceLogs(ctx, name, lo)
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("service %s: %w", name, runtime.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("logs of service %s: %w", name, err)
	}
	defer rc.Close()
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of service %s: %w", name, err)
	}
	return nil
}
