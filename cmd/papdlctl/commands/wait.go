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
			return runWait(ctx, cmd, dirs.stateDir, args[0], forCond)
		},
	}
	dirs.bindState(cmd.Flags())
	cmd.Flags().StringVar(&forCond, "for", "condition=Ready", "condition=TYPE, or delete")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

func runWait(ctx context.Context, cmd *cobra.Command, stateDir, name, forCond string) error {
	st, err := store.Open(stateDir)
	if err != nil {
		return err
	}
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
			return err
		}
		switch {
		case forCond == "delete" && !found:
			fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s deleted\n", name)
			return nil
		case isCond && found:
			if c := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionType(want)); c != nil {
				if c.Status == v1alpha1.ConditionTrue {
					fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s condition met (%s=True: %s)\n", name, want, c.Message)
					return nil
				}
				last = fmt.Sprintf("%s=%s %s: %s", want, c.Status, c.Reason, c.Message)
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
