package commands

import (
	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
)

// runRemoteDiff asks the controller's API for the dry run of each input
// and prints it as runDiff does, with the same exit codes (0 nothing would
// change, 1 something would, 2 on an error).
func runRemoteDiff(cmd *cobra.Command, c *apiserver.Client, inputs []specInput, out output) error {
	var diffs []*distributedmodel.Diff
	for _, in := range inputs {
		d, err := c.Diff(cmd.Context(), objects.Input{Name: in.name, Doc: in.doc, File: in.file})
		if err != nil {
			return exitError(2, err)
		}
		diffs = append(diffs, d)
	}
	return reportDiffs(cmd.OutOrStdout(), out, diffs)
}
