package local

import (
	"context"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// Route signs the route to first's chain with the model's credentials and
// sends it to the gateway's HTTP API on loopback.
func (r *Runtime) Route(ctx context.Context, gw, first runtime.Workload, manifestSHA256 string) (chain.RouteStatus, error) {
	addr, err := r.addressOfName(first.Model, first.Name)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	path, err := r.ensureCredentials(gw.Model)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	creds, err := chainauth.Load(path)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	return runtime.SendRoute(ctx, r, r.httpClient, creds, gw, first.ManifestPath, manifestSHA256, addr)
}
