package runtime

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/chain/chainauth"
)

// SendRoute is the end of every runtime's Route: it issues the route to
// the chain whose manifest the gateway fetches at manifest and whose first
// partition listens at first, signs it with the model's credentials and
// sends it to the gateway workload gw at its endpoint on rt.
func SendRoute(ctx context.Context, rt Runtime, client *http.Client, creds *chainauth.Credentials, gw Workload,
	manifest, manifestSHA256, first string) (chain.RouteStatus, error) {
	base, err := rt.Endpoint(ctx, gw)
	if err != nil {
		return chain.RouteStatus{}, err
	}
	spec := chain.RouteSpec{Manifest: manifest, ManifestSHA256: manifestSHA256, First: first, Issued: time.Now().UnixNano()}
	st, err := chain.SendRoute(ctx, client, base, creds, gw.Model, spec)
	if err != nil {
		return st, fmt.Errorf("route of %s: %w", gw.Name, err)
	}
	return st, nil
}
