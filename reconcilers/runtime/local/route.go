package local

import (
	"context"
	"fmt"
	"time"

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
	spec := chain.RouteSpec{Manifest: first.ManifestPath, ManifestSHA256: manifestSHA256, First: addr, Issued: time.Now().UnixNano()}
	base, err := r.Endpoint(ctx, gw)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	st, err := chain.SendRoute(ctx, r.httpClient, base, creds, gw.Model, spec)
	if err != nil {
		return st, fmt.Errorf("route of %s: %w", gw.Name, err)
	}
	return st, nil
}
