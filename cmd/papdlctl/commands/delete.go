package commands

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newDeleteCommand() *cobra.Command {
	var dirs dirOptions
	var files []string
	cmd := &cobra.Command{
		Use:   "delete NAME... | -f FILE",
		Short: "Remove DistributedModels from the specs directory (the controller then removes everything they created)",
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
			if len(names) == 0 {
				return fmt.Errorf("name a model, or give -f FILE")
			}
			return runDelete(cmd, dirs, names)
		},
	}
	dirs.bindSpecs(cmd.Flags())
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "delete the models this file declares")
	return cmd
}

func runDelete(cmd *cobra.Command, dirs dirOptions, names []string) error {
	b, err := openBackend(cmd, dirs)
	if err != nil {
		return err
	}
	var failed []error
	for _, name := range names {
		if err := b.Delete(cmd.Context(), name); err != nil {
			failed = append(failed, err)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s deleted\n", name)
	}
	return errors.Join(failed...)
}
