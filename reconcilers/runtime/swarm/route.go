package swarm

import (
	"context"
	"fmt"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// Route signs the route to first's chain (its manifest as the services
// download it, partition 0 by service name on the model's network) with
// the controller's copy of the model's credentials and sends it to the
// gateway's published port.
func (r *Runtime) Route(ctx context.Context, gw, first runtime.Workload, manifestSHA256 string) (chain.RouteStatus, error) {
	a, err := r.publishArtifacts(ctx, runtime.Workload{Role: runtime.RoleGateway, ManifestPath: first.ManifestPath})
	if err != nil {
		return chain.RouteStatus{}, fmt.Errorf("route of %s: %w", gw.Name, err)
	}
	if a.ManifestSHA256 != manifestSHA256 {
		return chain.RouteStatus{}, fmt.Errorf("route of %s: manifest %s has digest %s, want %s", gw.Name, first.ManifestPath, a.ManifestSHA256, manifestSHA256)
	}
	bundle, err := r.bundle(gw.Model)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	creds, err := chainauth.Parse(bundle)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	return runtime.SendRoute(ctx, r, r.httpClient, creds, gw, a.Manifest, manifestSHA256, hostPort(first.Name, PartitionPort))
}
