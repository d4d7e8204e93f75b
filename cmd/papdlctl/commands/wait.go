package commands

import (
	"context"
	"errors"
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
	var selector string
	cmd := &cobra.Command{
		Use:               "wait --for condition=Ready NAME... | -l SELECTOR [--timeout 5m]",
		Short:             "Wait until DistributedModels' condition is True (or --for delete: until they are gone)",
		ValidArgsFunction: completeModelNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			names := args
			if selector != "" {
				b, err := openBackend(cmd, dirs)
				if err != nil {
					return err
				}
				if names, err = selectNames(ctx, b, selector, args); err != nil {
					return err
				}
			}
			switch {
			case len(names) == 0 && selector != "":
				return fmt.Errorf("no model matches -l %s (the controller lists a model once it has read its spec)", selector)
			case len(names) == 0:
				return fmt.Errorf("name a model, or select some with -l")
			}
			var failed []error
			for _, name := range names {
				if err := runWait(ctx, cmd, dirs, name, forCond); err != nil {
					failed = append(failed, err)
				}
			}
			return errors.Join(failed...)
		},
	}
	dirs.bindSpecs(cmd.Flags())
	dirs.bindState(cmd.Flags())
	cmd.Flags().StringVar(&forCond, "for", "condition=Ready", "condition=TYPE, or delete")
	mustCompleteFlag(cmd, "for", completeValues(waitForValues()...))
	bindSelectorFlag(cmd, &selector)
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

// waitForValues are the values of wait --for, for completion.
func waitForValues() []string {
	out := []string{"delete"}
	for _, c := range []v1alpha1.ConditionType{v1alpha1.ConditionReady, v1alpha1.ConditionStalled,
		v1alpha1.ConditionReconciling, v1alpha1.ConditionSliced, v1alpha1.ConditionBenchmarked, v1alpha1.ConditionPlaced, v1alpha1.ConditionDeployed} {
		out = append(out, "condition="+string(c))
	}
	return out
}
