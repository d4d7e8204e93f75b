package commands

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
)

func newEventsCommand() *cobra.Command {
	var dirs dirOptions
	var limit int
	var output string
	cmd := &cobra.Command{
		Use:   "events NAME [--limit N] [-o json]",
		Short: "Show a DistributedModel's events, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v1alpha1.ValidateName(args[0]); err != nil {
				return err
			}
			if output != "" && output != formatJSON {
				return fmt.Errorf("-o %s: want json (or nothing for a table)", output)
			}
			b, err := openBackend(cmd, dirs)
			if err != nil {
				return err
			}
			evs, err := b.Events(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if output == formatJSON {
				return writeJSON(w, evs)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LAST SEEN\tTYPE\tREASON\tCOUNT\tMESSAGE")
			for _, e := range evs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", age(e.LastSeen()), e.Type, e.Reason, e.Occurrences(), e.Message)
			}
			return tw.Flush()
		},
	}
	dirs.bindState(cmd.Flags())
	cmd.Flags().IntVar(&limit, "limit", 0, "show only the latest N events (0: all that are kept)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json, or a table when empty")
	return cmd
}
