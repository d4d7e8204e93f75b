package swarm

import (
	"context"
	"io"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
)

// ImageEngine is the part of a Docker engine the runtime needs on every
// node: loading, finding and deleting the node image.
type ImageEngine interface {
	ImageLoad(ctx context.Context, input io.Reader, opts ...client.ImageLoadOption) (image.LoadResponse, error)
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, opts image.RemoveOptions) ([]image.DeleteResponse, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
	Close() error
}

// Engine is the part of the manager's Docker engine the runtime uses.
type Engine interface {
	ImageEngine
	ImageBuild(ctx context.Context, buildContext io.Reader, opts build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageSave(ctx context.Context, refs []string, opts ...client.ImageSaveOption) (io.ReadCloser, error)

	Info(ctx context.Context) (system.Info, error)
	NodeList(ctx context.Context, opts swarm.NodeListOptions) ([]swarm.Node, error)

	ServiceCreate(ctx context.Context, spec swarm.ServiceSpec, opts swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceInspectWithRaw(ctx context.Context, id string, opts swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	ServiceList(ctx context.Context, opts swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceUpdate(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec, opts swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	ServiceRemove(ctx context.Context, id string) error
	ServiceLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
	TaskList(ctx context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error)

	NetworkCreate(ctx context.Context, name string, opts network.CreateOptions) (network.CreateResponse, error)
	NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	NetworkRemove(ctx context.Context, id string) error

	SecretCreate(ctx context.Context, spec swarm.SecretSpec) (swarm.SecretCreateResponse, error)
	SecretList(ctx context.Context, opts swarm.SecretListOptions) ([]swarm.Secret, error)
	SecretRemove(ctx context.Context, id string) error

	Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error)
}

// Dialer opens an engine by its address (unix:///..., tcp://...; "" is
// DOCKER_HOST or the default socket).
type Dialer func(host string) (Engine, error)

// Dial connects to a Docker engine (see NewClient).
func Dial(host string) (Engine, error) {
	c, err := NewClient(host)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewClient connects to a Docker engine with API version negotiation. An
// empty host means the environment's (DOCKER_HOST, else the default
// socket).
func NewClient(host string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	return client.NewClientWithOpts(opts...)
}

// Compile-time check that the real client satisfies the interface.
var _ Engine = (*client.Client)(nil)
