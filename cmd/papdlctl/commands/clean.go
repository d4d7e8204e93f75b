package commands

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
)

func newCleanCommand() *cobra.Command {
	var o controllerOptions
	var model string
	cmd := &cobra.Command{
		Use:   "clean [--model NAME] [--runtime local|swarm]",
		Short: "Remove every workload, network and image papdl created (for one model, or all), e.g. after a crash",
		Long: `clean removes what the runtime runs for papdl. Under a running controller
the models whose specs remain are deployed again at the next reconcile. The
runtime and its settings are the controller's own (recorded in the state
directory) unless flags say otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model != "" {
				if err := v1alpha1.ValidateName(model); err != nil {
					return fmt.Errorf("--model: %w", err)
				}
			}
			if err := adoptControllerConfig(&o, cmd.Flags().Changed); err != nil {
				return err
			}
			rt, err := openRuntime(cmd.Context(), o, zap.NewNop())
			if err != nil {
				return err
			}
			before, err := rt.List(cmd.Context(), model)
			if err != nil {
				return err
			}
			if err := rt.Clean(cmd.Context(), model); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d workloads and their supporting objects from the %s runtime\n", len(before), rt.Name())
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "only this model's objects")
	cmd.Flags().StringVar(&o.runtime, "runtime", "local", "local or swarm")
	mustCompleteFlag(cmd, "runtime", completeValues(runtimeNames()...))
	cmd.Flags().StringVar(&o.nodesFile, "nodes", "", "local runtime: the simulated nodes file the controller uses")
	cmd.Flags().StringVar(&o.nodeBinary, "node-binary", "", "the papdl-node executable")
	o.dirs.bindState(cmd.Flags())
	bindSwarmFlags(cmd, &o)
	return cmd
}
