package commands

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Merge patches of suspend and resume: resume removes the field (its
// default is false).
const (
	suspendPatch = `{"spec":{"suspend":true}}`
	resumePatch  = `{"spec":{"suspend":null}}`
)

type suspendOptions struct {
	dirs     dirOptions
	selector string
	// resume is true for papdlctl resume.
	resume bool
}

func newSuspendCommand() *cobra.Command { return newSuspendOrResumeCommand(false) }

func newResumeCommand() *cobra.Command { return newSuspendOrResumeCommand(true) }

func newSuspendOrResumeCommand(resume bool) *cobra.Command {
	o := suspendOptions{resume: resume}
	cmd := &cobra.Command{
		Use:   "suspend NAME... | -l SELECTOR",
		Short: "Stop reconciling DistributedModels: their workloads keep running as they are (spec.suspend: true)",
		Long: `suspend sets spec.suspend: true in each model's spec file (through the
same path as apply, or the API's PATCH): the controller then leaves the
model's workloads running as they are and stops converging it, reporting
Reconciling=False with reason Suspended, until papdlctl resume.`,
		ValidArgsFunction: completeModelNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSuspend(cmd, o, args)
		},
	}
	if resume {
		cmd.Use = "resume NAME... | -l SELECTOR"
		cmd.Short = "Reconcile suspended DistributedModels again (removes spec.suspend)"
		cmd.Long = ""
	}
	o.dirs.bindSpecs(cmd.Flags())
	o.dirs.bindState(cmd.Flags())
	bindSelectorFlag(cmd, &o.selector)
	return cmd
}

func runSuspend(cmd *cobra.Command, o suspendOptions, names []string) error {
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	if names, err = selectNames(cmd.Context(), b, o.selector, names); err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("name a model, or select some with -l")
	}
	patch, done := suspendPatch, "suspended"
	if o.resume {
		patch, done = resumePatch, "resumed"
	}
	var failed []error
	for _, name := range names {
		res, err := b.Patch(cmd.Context(), name, []byte(patch))
		if err != nil {
			failed = append(failed, err)
			continue
		}
		msg := done
		if res.Verb == "unchanged" {
			msg = "unchanged (already " + done + ")"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", objectName(name), msg)
	}
	return errors.Join(failed...)
}
