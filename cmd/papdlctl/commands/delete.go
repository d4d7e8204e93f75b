package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/objects"
)

type deleteOptions struct {
	dirs           dirOptions
	selector       string
	output         string
	ignoreNotFound bool
	wait           bool
	timeout        time.Duration
}

func newDeleteCommand() *cobra.Command {
	var o deleteOptions
	var files []string
	cmd := &cobra.Command{
		Use:               "delete NAME... | -f FILE | -l SELECTOR",
		Short:             "Remove DistributedModels from the specs directory (the controller then removes everything they created)",
		ValidArgsFunction: completeModelNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(files) > 0 {
				inputs, err := readSpecInputs(cmd.InOrStdin(), files)
				if err != nil {
					return err
				}
				for _, in := range inputs {
					names = append(names, in.name)
				}
			}
			if len(names) == 0 && o.selector == "" {
				return fmt.Errorf("name a model, or give -f FILE or -l SELECTOR")
			}
			return runDelete(cmd, o, names)
		},
	}
	o.dirs.bindSpecs(cmd.Flags())
	o.dirs.bindState(cmd.Flags())
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "delete the models this file declares")
	bindSelectorFlag(cmd, &o.selector)
	bindOutputFlag(cmd, &o.output, "output format", []string{outputName})
	cmd.Flags().BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "a model no spec declares is not an error")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the controller has removed everything each model created")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Minute, "with --wait: give up after this long")
	return cmd
}

func runDelete(cmd *cobra.Command, o deleteOptions, names []string) error {
	out, err := parseOutput(o.output, outputName)
	if err != nil {
		return err
	}
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	if o.selector != "" {
		if names, err = selectNames(cmd.Context(), b, o.selector, names); err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(cmd.ErrOrStderr(), "No resources found.")
			return nil
		}
	}
	var failed []error
	var deleted []string
	for _, name := range names {
		if err := b.Delete(cmd.Context(), name); err != nil {
			if !(o.ignoreNotFound && isNotFound(err)) {
				failed = append(failed, err)
			}
			continue
		}
		deleted = append(deleted, name)
		if out.format == outputName {
			fmt.Fprintln(cmd.OutOrStdout(), objectName(name))
		} else {
			fmt.Fprintf(cmd.OutOrStdout(), "%s deleted\n", objectName(name))
		}
	}
	if o.wait && len(deleted) > 0 {
		ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
		defer cancel()
		for _, name := range deleted {
			if err := waitGone(ctx, b, name); err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}

// waitGone polls until the controller has no state of the model.
func waitGone(ctx context.Context, b backend, name string) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	gone := objects.WaitFor{}
	last := "no answer yet"
	for {
		obs, err := b.Observe(ctx, name)
		if err == nil {
			var done bool
			if done, last, err = gone.Check(name, obs); done || err != nil {
				return err
			}
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for distributedmodel/%s to be removed (last seen: %s)", name, last)
		case <-tick.C:
		}
	}
}
