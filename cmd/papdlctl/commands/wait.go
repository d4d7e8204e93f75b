package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/objects"
)

func newWaitCommand() *cobra.Command {
	var dirs dirOptions
	var forCond string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait --for condition=Ready NAME [--timeout 5m]",
		Short: "Wait until a DistributedModel's condition is True (or --for delete: until it is gone)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runWait(ctx, cmd, dirs, args[0], forCond)
		},
	}
	dirs.bindSpecs(cmd.Flags())
	dirs.bindState(cmd.Flags())
	cmd.Flags().StringVar(&forCond, "for", "condition=Ready", "condition=TYPE, or delete")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

// runWait polls the state until the condition holds for the spec as it is
// now in the specs directory: a condition observed for an older generation
// (the spec changed since) does not count. Through the API it polls the
// controller's observation of the model.
func runWait(ctx context.Context, cmd *cobra.Command, dirs dirOptions, name, forCond string) error {
	if err := v1alpha1.ValidateName(name); err != nil {
		return err
	}
	want, err := objects.ParseWaitFor(forCond)
	if err != nil {
		return err
	}
	b, err := openBackend(cmd, dirs)
	if err != nil {
		return err
	}
	every := 200 * time.Millisecond
	if _, remote := b.(*localBackend); !remote {
		every = 500 * time.Millisecond
	}
	last := ""
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		obs, err := b.Observe(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				last = err.Error()
			}
		} else {
			done, msg, err := want.Check(name, obs)
			if err != nil {
				return err
			}
			if done {
				fmt.Fprintln(cmd.OutOrStdout(), msg)
				return nil
			}
			if msg != "" {
				last = msg
			}
		}
		select {
		case <-ctx.Done():
			if last == "" {
				last = "no status yet"
			}
			return fmt.Errorf("timed out waiting for %s on distributedmodel/%s (last seen: %s)", forCond, name, last)
		case <-tick.C:
		}
	}
}
