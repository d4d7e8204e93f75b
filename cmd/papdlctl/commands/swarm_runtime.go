package commands

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/runtime/swarm"
)

// swarmFlags are the Swarm runtime's settings.
type swarmFlags struct {
	nodeEngines    []string
	artifactListen string
	artifactURL    string
	image          string
}

// testbedEngines finds the node engines hack/swarm-up.sh starts
// (/run/papdl-nodeI/docker.sock for node nodeI).
func testbedEngines() map[string]string {
	out := map[string]string{}
	socks, _ := filepath.Glob("/run/papdl-node*/docker.sock")
	for _, s := range socks {
		host := strings.TrimPrefix(filepath.Base(filepath.Dir(s)), "papdl-")
		out[host] = "unix://" + s
	}
	return out
}

// openSwarmRuntime connects the Docker Swarm runtime (the engine named by
// DOCKER_HOST, else the default socket) and serves the partition artifacts
// to the nodes.
func openSwarmRuntime(ctx context.Context, o controllerOptions, nodeBinary string, log *zap.Logger) (runtime.Runtime, error) {
	cfg := swarm.Config{NodeBinary: nodeBinary, Image: o.swarm.image, NodeEngines: testbedEngines(),
		CredentialsDir: filepath.Join(o.dirs.stateDir, "swarm-runtime", "credentials")}
	// The network-namespace test bed carries no IPsec between its nodes:
	// encrypted overlays attach there but pass no traffic (docs/security.md).
	// Its engines' sockets identify it; real clusters get encrypted overlays.
	cfg.PlainOverlay = len(cfg.NodeEngines) > 0
	for _, e := range o.swarm.nodeEngines {
		host, addr, ok := strings.Cut(e, "=")
		if !ok {
			return nil, fmt.Errorf("--node-engine %q: want HOSTNAME=ADDRESS", e)
		}
		cfg.NodeEngines[host] = addr
	}
	if o.swarm.artifactListen != "" {
		// Services carry the artifact URLs in their command lines: a port
		// that changed at every controller start would update (restart)
		// every service after a controller restart.
		if _, port, err := net.SplitHostPort(o.swarm.artifactListen); err != nil || port == "" || port == "0" {
			return nil, fmt.Errorf("--artifact-listen %q: give a fixed host:port that the nodes reach (e.g. 10.99.0.1:8700 on the test bed)", o.swarm.artifactListen)
		}
		ln, err := net.Listen("tcp", o.swarm.artifactListen)
		if err != nil {
			return nil, fmt.Errorf("--artifact-listen: %w", err)
		}
		base := o.swarm.artifactURL
		if base == "" {
			base = "http://" + ln.Addr().String() + "/artifacts"
		}
		srv, err := swarm.NewArtifactServer(base, log.Named("artifacts"))
		if err != nil {
			ln.Close()
			return nil, err
		}
		hs := &http.Server{Handler: srv}
		go func() { _ = hs.Serve(ln) }()
		context.AfterFunc(ctx, func() { _ = hs.Close() })
		cfg.Artifacts = srv
	} else if o.swarm.artifactURL != "" {
		cfg.ArtifactBaseURL = o.swarm.artifactURL
	}
	if cfg.Artifacts == nil && cfg.ArtifactBaseURL == "" {
		return nil, fmt.Errorf("--runtime swarm needs --artifact-listen ADDR (an address the nodes reach, e.g. 10.99.0.1:8700 on the test bed) or --artifact-url")
	}
	rt, err := swarm.New(ctx, cfg, log.Named("swarm-runtime"))
	if err != nil {
		return nil, err
	}
	if os.Getenv("DOCKER_HOST") != "" {
		log.Info("swarm runtime", zap.String("dockerHost", os.Getenv("DOCKER_HOST")))
	}
	return rt, nil
}
