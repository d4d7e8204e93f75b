package swarm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Config configures the Swarm runtime.
type Config struct {
	// Host is the manager engine's address; "" means DOCKER_HOST, else the
	// default socket.
	Host string
	// PlainOverlay creates the models' overlay networks without the
	// "encrypted" option. Leave it false wherever the nodes can carry IPsec
	// (ESP) between them; set it where they cannot, such as the
	// network-namespace test bed of hack/swarm-up.sh, on which encrypted
	// overlays attach but carry no traffic between nodes. The chain's own
	// mutual TLS protects the hops either way.
	PlainOverlay bool
	// NodeEngines maps a node's hostname to its engine's address (e.g.
	// node2 -> unix:///run/papdl-node2/docker.sock, as hack/swarm-up.sh
	// makes them), so the node image can be loaded there without a
	// registry. The manager's own node needs no entry. A node without one
	// must get the image by other means (see Image).
	NodeEngines map[string]string
	// NodeBinary is the path of the static (CGO_ENABLED=0) papdl-node
	// binary the node image is built around.
	NodeBinary string
	// ImageRepository names the built image (default "papdl-node"); the
	// tag is the binary's digest.
	ImageRepository string
	// Image, when set, is the node image to run as is (a registry
	// reference pinned by digest, say): nothing is built or copied.
	Image string
	// Artifacts makes controller files downloadable by the services. When
	// nil, ArtifactBaseURL is used through BaseURL.
	Artifacts Publisher
	// ArtifactBaseURL is an artifact server serving files by sha256 at
	// <ArtifactBaseURL>/<sha256> (e.g. http://10.99.0.1:8700/artifacts).
	ArtifactBaseURL string
	// Command returns the node binary's arguments for a workload (default
	// DefaultCommand).
	Command func(w runtime.Workload, a Artifacts) []string
	// Healthcheck returns the container health check of a workload, or nil
	// for none (the default: papdl-node has no health mode yet).
	Healthcheck func(w runtime.Workload) *container.HealthConfig
	// ProbeCommand and BenchCommand return the node binary's arguments for
	// a benchmark's link-probe agent and one node's benchmark (defaults
	// DefaultProbeCommand and DefaultBenchCommand).
	ProbeCommand func() []string
	BenchCommand func(b BenchInvocation) []string
	// BenchmarkTimeout bounds one node's benchmark (default 10 minutes);
	// StartTimeout bounds the wait for a service's task to run (default 2
	// minutes).
	BenchmarkTimeout time.Duration
	StartTimeout     time.Duration
	// Dial opens engines (default Dial); tests never replace the engine
	// with a fake, but may wrap the real one.
	Dial Dialer
	// CredentialsDir keeps the controller's copy of each model's chain
	// credentials (mode 0600 files in a 0700 directory), which signs the
	// routes sent to the model's gateway; "" keeps them in memory only,
	// for the runtime's life.
	CredentialsDir string
}

// Runtime is the Swarm runtime. It is safe for concurrent use.
type Runtime struct {
	cfg Config
	log *zap.Logger
	eng Engine
	// managerID is the swarm node ID of the manager engine.
	managerID string

	credsMu sync.Mutex
	bundles map[string][]byte // the models' chain credentials (PEM)
	// httpClient sends routes to the gateways.
	httpClient *http.Client

	imgMu   sync.Mutex // serialises building and copying the image
	binKey  string     // path, size and mtime of the binary last hashed
	mu      sync.Mutex
	engines map[string]ImageEngine // hostname -> worker engine, dialed lazily
	image   string                 // node image reference once built
	loaded  map[string]string      // hostname -> image reference known present
}

var _ runtime.Runtime = (*Runtime)(nil)

// New connects to the manager engine and checks that it manages a swarm.
func New(ctx context.Context, cfg Config, log *zap.Logger) (*Runtime, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Dial == nil {
		cfg.Dial = Dial
	}
	if cfg.ImageRepository == "" {
		cfg.ImageRepository = "papdl-node"
	}
	if cfg.Command == nil {
		cfg.Command = DefaultCommand
	}
	if cfg.ProbeCommand == nil {
		cfg.ProbeCommand = DefaultProbeCommand
	}
	if cfg.BenchCommand == nil {
		cfg.BenchCommand = DefaultBenchCommand
	}
	if cfg.Artifacts == nil && cfg.ArtifactBaseURL != "" {
		cfg.Artifacts = BaseURL(cfg.ArtifactBaseURL)
	}
	if cfg.BenchmarkTimeout <= 0 {
		cfg.BenchmarkTimeout = 10 * time.Minute
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 2 * time.Minute
	}
	if cfg.Image == "" && cfg.NodeBinary == "" {
		return nil, errors.New("swarm runtime: set NodeBinary (the papdl-node binary) or Image")
	}
	eng, err := cfg.Dial(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("swarm runtime: connect to manager engine %q: %w", cfg.Host, err)
	}
	info, err := eng.Info(ctx)
	if err != nil {
		_ = eng.Close()
		return nil, fmt.Errorf("swarm runtime: manager engine %q: %w", cfg.Host, err)
	}
	if !info.Swarm.ControlAvailable {
		_ = eng.Close()
		return nil, fmt.Errorf("swarm runtime: engine %q (%s) is not a swarm manager (swarm state %q)",
			cfg.Host, info.Name, info.Swarm.LocalNodeState)
	}
	log.Info("swarm runtime ready", zap.String("manager", info.Name), zap.String("nodeID", info.Swarm.NodeID),
		zap.Int("nodes", info.Swarm.Nodes), zap.String("engine", info.ServerVersion))
	return &Runtime{cfg: cfg, log: log, eng: eng, managerID: info.Swarm.NodeID, engines: map[string]ImageEngine{}, loaded: map[string]string{},
		bundles: map[string][]byte{}, httpClient: &http.Client{Timeout: 5 * time.Second}}, nil
}

// Name is "swarm".
func (r *Runtime) Name() string { return "swarm" }

// Close closes the connections to the engines.
func (r *Runtime) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for host, e := range r.engines {
		if err := e.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close engine of node %s: %w", host, err))
		}
	}
	r.engines = map[string]ImageEngine{}
	if err := r.eng.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close manager engine: %w", err))
	}
	return errors.Join(errs...)
}

// nodeEngine returns the engine of the node with this hostname, or nil
// when Config.NodeEngines does not name it.
func (r *Runtime) nodeEngine(hostname string) (ImageEngine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.engines[hostname]; ok {
		return e, nil
	}
	addr, ok := r.cfg.NodeEngines[hostname]
	if !ok {
		return nil, nil
	}
	e, err := r.cfg.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("connect to engine of node %s at %s: %w", hostname, addr, err)
	}
	r.engines[hostname] = e
	return e, nil
}
