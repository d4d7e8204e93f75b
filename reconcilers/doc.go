// Package reconcilers holds papdl's control loops and the small contract they
// share, after controller-runtime: a Reconciler converges one named object
// (Reconcile(ctx, Request) (Result, error)), a keyed work queue deduplicates
// requests and backs off on errors, and a Controller runs reconciles from the
// queue, one at a time per name, turning errors into retries and logging each
// outcome once.
//
// Reconciliation is level-triggered: events (a spec file changed, a service
// died) only enqueue a name; every reconcile re-reads the desired and the
// observed state.
package reconcilers
