package commands

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// startAPI serves the controller's API on o.apiListen (nothing when it is
// empty) until ctx ends; it writes STATE/admin.papdlconfig and
// STATE/readonly.papdlconfig. Dry runs (diff) go through a reconciler of
// their own over the controller's runtime, as `papdlctl diff` makes one;
// /metrics serves the controller's metrics (gatherer) with the API's.
func startAPI(ctx context.Context, o controllerOptions, st *store.Store, rt runtime.Runtime, gatherer prometheus.Gatherer, log *zap.Logger) error {
	if o.apiListen == "" {
		return nil
	}
	_, err := apiserver.Start(ctx, apiserver.Options{Listen: o.apiListen, SpecsDir: o.dirs.specsDir, Store: st,
		Version: buildVersion(), Log: log.Named("api"), Gatherers: []prometheus.Gatherer{gatherer}, ExtraNames: o.apiNames,
		Differ: distributedmodel.NewReconciler(o.dirs.specsDir, st, rt, zap.NewNop()), Logs: rt})
	return err
}
