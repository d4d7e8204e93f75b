package swarm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// logsEngine answers ServiceLogs with a multiplexed stream (the rest of
// Engine is nil: calling it panics).
type logsEngine struct {
	Engine
	stream []byte
	err    error
	got    container.LogsOptions
}

func (e *logsEngine) ServiceLogs(_ context.Context, _ string, opts container.LogsOptions) (io.ReadCloser, error) {
	e.got = opts
	return io.NopCloser(bytes.NewReader(e.stream)), e.err
}

func TestLogs(t *testing.T) {
	var stream bytes.Buffer
	_, _ = stdcopy.NewStdWriter(&stream, stdcopy.Stdout).Write([]byte("out line\n"))
	_, _ = stdcopy.NewStdWriter(&stream, stdcopy.Stderr).Write([]byte("err line\n"))
	for _, tc := range []struct {
		name     string
		opts     runtime.LogOptions
		err      error
		wantTail string
		want     string
		wantErr  error
	}{
		{"all", runtime.LogOptions{}, nil, "all", "out line\nerr line\n", nil},
		{"tail and follow", runtime.LogOptions{Tail: 5, Follow: true}, nil, "5", "out line\nerr line\n", nil},
		{"no such service", runtime.LogOptions{}, cerrdefs.ErrNotFound, "all", "", runtime.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &logsEngine{stream: stream.Bytes(), err: tc.err}
			r := &Runtime{eng: eng}
			var out bytes.Buffer
			err := r.Logs(context.Background(), "papdl-m-p0", tc.opts, &out)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if out.String() != tc.want || eng.got.Tail != tc.wantTail || eng.got.Follow != tc.opts.Follow {
				t.Fatalf("wrote %q with %+v", out.String(), eng.got)
			}
		})
	}
}
