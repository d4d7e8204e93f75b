package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/objects"
)

type logsOptions struct {
	dirs      dirOptions
	partition int
	gateway   bool
	tail      int
	follow    bool
}

func newLogsCommand() *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs NAME [--partition I | --gateway] [--tail N] [-f]",
		Short: "Show the output of a DistributedModel's partition servers and gateway",
		Long: `logs prints a workload's output (stdout and stderr) from the runtime the
controller runs it on: the local runtime's log files, or the Swarm services'
logs. Without --partition or --gateway it prints every workload's, each line
prefixed with the workload's name. -f follows one workload's output until
interrupted.`,
		Example: `  papdlctl logs mnist --gateway --tail 20
  papdlctl logs mnist --partition 1 -f`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeOneModelName,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), cmd, o, args[0])
		},
	}
	o.dirs.bindState(cmd.Flags())
	cmd.Flags().IntVar(&o.partition, "partition", -1, "the partition server with this index")
	cmd.Flags().BoolVar(&o.gateway, "gateway", false, "the gateway")
	cmd.Flags().IntVar(&o.tail, "tail", 0, "only the last N lines of each workload (0: all that are kept)")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "keep printing new output until interrupted (one workload)")
	return cmd
}

func runLogs(ctx context.Context, cmd *cobra.Command, o logsOptions, name string) error {
	if err := v1alpha1.ValidateName(name); err != nil {
		return err
	}
	req := objects.LogRequest{Gateway: o.gateway}
	req.Tail, req.Follow = o.tail, o.follow
	if cmd.Flags().Changed("partition") {
		req.Partition = &o.partition
	}
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	return b.Logs(ctx, name, req, cmd.OutOrStdout())
}
