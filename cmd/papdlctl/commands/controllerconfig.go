package commands

import (
	"fmt"
	"path/filepath"

	"github.com/papdl/papdl/reconcilers/runtime/local"
	"github.com/papdl/papdl/reconcilers/store"
)

// controllerConfig is what a running controller records of its runtime in
// its state directory, so that verbs working on the same directories (diff,
// clean) see the same nodes without repeating its flags.
type controllerConfig struct {
	Runtime        string                `json:"runtime"`
	SimulatedNodes []local.SimulatedNode `json:"simulatedNodes,omitempty"`
	Caps           string                `json:"caps,omitempty"`
	ArtifactListen string                `json:"artifactListen,omitempty"`
	// ArtifactURL is the base URL the nodes fetch artifacts from, if set.
	ArtifactURL string `json:"artifactUrl,omitempty"`
	Image       string `json:"image,omitempty"`
}

func controllerConfigPath(stateDir string) string { return filepath.Join(stateDir, "controller.json") }

func saveControllerConfig(o controllerOptions) error {
	c := controllerConfig{Runtime: o.runtime, SimulatedNodes: o.simulated, Caps: o.caps,
		ArtifactListen: o.swarm.artifactListen, ArtifactURL: o.swarm.artifactURL, Image: o.swarm.image}
	return store.WriteJSON(controllerConfigPath(o.dirs.stateDir), c)
}

// adoptControllerConfig fills the runtime options the user did not set
// (changed reports which flags were) from the controller's recorded ones.
func adoptControllerConfig(o *controllerOptions, changed func(flag string) bool) error {
	var c controllerConfig
	found, err := store.ReadJSON(controllerConfigPath(o.dirs.stateDir), &c)
	if err != nil {
		return fmt.Errorf("the controller's recorded configuration: %w", err)
	}
	if !found {
		return nil
	}
	if !changed("runtime") && c.Runtime != "" {
		o.runtime = c.Runtime
	}
	if !changed("nodes") {
		o.simulated, o.caps = c.SimulatedNodes, c.Caps
	}
	if !changed("artifact-url") && !changed("artifact-listen") {
		// A dry run deploys nothing: it names the controller's artifact
		// server without listening in its place.
		o.swarm.artifactURL = c.ArtifactURL
		if o.swarm.artifactURL == "" && c.ArtifactListen != "" {
			o.swarm.artifactURL = "http://" + c.ArtifactListen + "/artifacts"
		}
	}
	if !changed("image") {
		o.swarm.image = c.Image
	}
	return nil
}
