package install

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
)

// fakeEngine answers the calls the tests expect; any other call panics
// (the embedded interface is nil).
type fakeEngine struct {
	Engine
	service *swarm.Service // nil: none
	tasks   []swarm.Task
	files   map[string][]byte // container path -> contents
	calls   []string
}

func (f *fakeEngine) DaemonHost() string { return "unix:///fake.sock" }

func (f *fakeEngine) ServiceInspectWithRaw(_ context.Context, id string, _ swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	if f.service == nil || (id != f.service.ID && id != f.service.Spec.Name) {
		return swarm.Service{}, nil, fmt.Errorf("service %s: %w", id, cerrdefs.ErrNotFound)
	}
	return *f.service, nil, nil
}

func (f *fakeEngine) ServiceCreate(_ context.Context, spec swarm.ServiceSpec, _ swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error) {
	f.calls = append(f.calls, "create")
	f.service = &swarm.Service{ID: "svc1", Spec: spec, Meta: swarm.Meta{Version: swarm.Version{Index: 1}}}
	return swarm.ServiceCreateResponse{ID: "svc1"}, nil
}

func (f *fakeEngine) ServiceUpdate(_ context.Context, id string, v swarm.Version, spec swarm.ServiceSpec, _ swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error) {
	f.calls = append(f.calls, fmt.Sprintf("update %s@%d", id, v.Index))
	f.service.Spec = spec
	return swarm.ServiceUpdateResponse{}, nil
}

func (f *fakeEngine) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	return f.tasks, nil
}

func (f *fakeEngine) CopyFromContainer(_ context.Context, id, src string) (io.ReadCloser, container.PathStat, error) {
	data, ok := f.files[src]
	if !ok {
		return nil, container.PathStat{}, fmt.Errorf("%s in %s: %w", src, id, cerrdefs.ErrNotFound)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "admin.papdlconfig", Mode: 0o600, Size: int64(len(data))})
	_, _ = tw.Write(data)
	_ = tw.Close()
	return io.NopCloser(&buf), container.PathStat{Name: "admin.papdlconfig", Size: int64(len(data))}, nil
}
