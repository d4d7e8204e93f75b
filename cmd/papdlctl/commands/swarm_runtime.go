package commands

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// openSwarmRuntime connects the Docker Swarm runtime.
func openSwarmRuntime(o controllerOptions, nodeBinary string, log *zap.Logger) (runtime.Runtime, error) {
	return nil, fmt.Errorf("--runtime swarm: not wired yet")
}
