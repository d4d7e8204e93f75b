// Package commands holds papdlctl's verbs, one file per verb: an options
// struct, a newXCommand constructor that only binds flags, and a runX
// function that does the work.
package commands

import (
	"github.com/spf13/cobra"
)

// NewRootCommand assembles papdlctl.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "papdlctl",
		Short:         "Deploy a deep neural network split across the devices of a Docker Swarm",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newInferCommand(),
		newSliceCommand(),
		newProfileCommand(),
		newModelCommand(),
		newConformanceCommand(),
		newConfigureCommand(),
		newValidateCommand(),
		newApplyCommand(),
		newGetCommand(),
		newDescribeCommand(),
		newDeleteCommand(),
		newWaitCommand(),
		newPredictCommand(),
		newControllerCommand(),
		newDiffCommand(),
		newBenchmarkCommand(),
		newCleanCommand(),
		newDeployCommand(),
		newVersionCommand(),
		newConfigCommand(),
		newEventsCommand(),
		newSuspendCommand(),
		newResumeCommand(),
		newReconcileCommand(),
		newLogsCommand(),
		newInstallCommand(),
		newUninstallCommand(),
	)
	bindConfigFlags(root.PersistentFlags())
	return root
}
