package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

type reconcileOptions struct {
	dirs    dirOptions
	wait    bool
	timeout time.Duration
	// now is the clock (time.Now in the command).
	now func() time.Time
}

func newReconcileCommand() *cobra.Command {
	o := reconcileOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "reconcile NAME",
		Short: "Ask the controller to reconcile a DistributedModel now",
		Long: `reconcile sets the annotation ` + v1alpha1.AnnotationReconcileRequestedAt + `
to the current time in the model's spec file (as flux reconcile sets
reconcile.fluxcd.io/requestedAt): the controller sees the file change and
reconciles the model at once, without a new generation. Unless --wait=false,
it then waits until the controller has handled the request and prints the
model's Ready condition.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeOneModelName,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			return runReconcile(ctx, cmd, o, args[0])
		},
	}
	o.dirs.bindSpecs(cmd.Flags())
	o.dirs.bindState(cmd.Flags())
	cmd.Flags().BoolVar(&o.wait, "wait", true, "wait until the controller has handled the request")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 2*time.Minute, "with --wait: give up after this long")
	return cmd
}

// reconcilePatch is the merge patch that requests a reconcile at t.
func reconcilePatch(t time.Time) ([]byte, string, error) {
	at := t.UTC().Format(time.RFC3339Nano)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{v1alpha1.AnnotationReconcileRequestedAt: at}}})
	return patch, at, err
}

func runReconcile(ctx context.Context, cmd *cobra.Command, o reconcileOptions, name string) error {
	if err := v1alpha1.ValidateName(name); err != nil {
		return err
	}
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	if obs, err := b.Observe(ctx, name); err == nil && obs.Record != nil && isSuspended(obs.Record) {
		return fmt.Errorf("%s is suspended: papdlctl resume %s first", objectName(name), name)
	}
	patch, at, err := reconcilePatch(o.now())
	if err != nil {
		return err
	}
	if _, err := b.Patch(ctx, name, patch); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s reconcile requested\n", objectName(name))
	if !o.wait {
		return nil
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		obs, err := b.Observe(ctx, name)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				last = err.Error()
			}
		case obs.Record != nil && obs.Record.Annotations[v1alpha1.AnnotationReconcileRequestedAt] == at:
			fmt.Fprintf(cmd.OutOrStdout(), "%s reconciled: %s\n", objectName(name), readySummary(obs.Record))
			return nil
		case obs.Record != nil:
			last = readySummary(obs.Record)
		}
		select {
		case <-ctx.Done():
			return errors.New("timed out waiting for the controller to handle the reconcile request of " + objectName(name) + " (last seen: " + last + ")")
		case <-tick.C:
		}
	}
}

// isSuspended reports a model whose last spec the controller saw is
// suspended.
func isSuspended(r *distributedmodel.Record) bool {
	return r.Spec != nil && r.Spec.Suspend != nil && *r.Spec.Suspend
}

// readySummary is the Ready condition in one line.
func readySummary(r *distributedmodel.Record) string {
	c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady)
	if c == nil {
		return "Ready unknown"
	}
	return fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
}
