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
		Use:               "events NAME [--limit N] [-o json|yaml|jsonpath=TEMPLATE]",
		Short:             "Show a DistributedModel's events, oldest first",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeOneModelName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := v1alpha1.ValidateName(args[0]); err != nil {
				return err
			}
			out, err := parseOutput(output, eventsOutputs()...)
			if err != nil {
				return err
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
			if !out.table() {
				return out.printValue(w, evs)
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
	bindOutputFlag(cmd, &output, "output format", eventsOutputs())
	return cmd
}

// eventsOutputs are the formats of events -o.
func eventsOutputs() []string { return []string{outputJSON, outputYAML, outputJSONPath} }
