package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
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
// (the spec changed since) does not count.
func runWait(ctx context.Context, cmd *cobra.Command, dirs dirOptions, name, forCond string) error {
	if err := v1alpha1.ValidateName(name); err != nil {
		return err
	}
	st, err := store.Open(dirs.stateDir)
	if err != nil {
		return err
	}
	specs := distributedmodel.NewSpecIndex(dirs.specsDir)
	want, isCond := strings.CutPrefix(forCond, "condition=")
	if !isCond && forCond != "delete" {
		return fmt.Errorf("--for %s: want condition=TYPE or delete", forCond)
	}
	last := ""
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		rec, found, err := distributedmodel.LoadRecord(st, name)
		if err != nil {
			last = err.Error() // being rewritten, or corrupt until the controller rebuilds it
			found = false
		}
		wantHash := ""
		if decls, err := specs.Scan(); err == nil {
			for _, d := range decls[name] {
				if d.Object != nil {
					wantHash = distributedmodel.SpecHash(d.Object)
				}
			}
			if isCond && !found && len(decls[name]) == 0 && err == nil {
				return fmt.Errorf("distributedmodel/%s not found: no spec in %s declares it and the controller has no state of it", name, dirs.specsDir)
			}
		}
		switch {
		case forCond == "delete" && !found:
			fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s deleted\n", name)
			return nil
		case isCond && found && wantHash != "" && rec.SpecHash != wantHash:
			last = "the controller has not observed the current spec yet"
		case isCond && found:
			if c := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionType(want)); c != nil {
				switch {
				case c.Status == v1alpha1.ConditionTrue && c.ObservedGeneration < rec.Generation:
					last = fmt.Sprintf("%s=True for generation %d, waiting for generation %d", want, c.ObservedGeneration, rec.Generation)
				case c.Status == v1alpha1.ConditionTrue:
					fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s condition met (%s=True: %s)\n", name, want, c.Message)
					return nil
				default:
					last = fmt.Sprintf("%s=%s %s: %s", want, c.Status, c.Reason, c.Message)
				}
			}
			if s := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionStalled); s != nil && s.Status == v1alpha1.ConditionTrue {
				return fmt.Errorf("distributedmodel/%s is stalled (%s): %s", name, s.Reason, s.Message)
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
