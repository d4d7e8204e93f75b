package commands

import (
	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/conformance"
	"github.com/papdl/papdl/inference/ops"
)

func newConformanceCommand() *cobra.Command {
	dir := conformance.DefaultDataDir
	cmd := &cobra.Command{
		Use:   "conformance [--data DIR]",
		Short: "Run the ONNX backend node tests and print a per-operator pass table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			results, err := conformance.RunAll(cmd.Context(), dir, ops.NewRegistry())
			if err != nil {
				return err
			}
			return conformance.WriteTable(cmd.OutOrStdout(), results)
		},
	}
	cmd.Flags().StringVar(&dir, "data", dir, "directory of ONNX node test cases (Debian's libonnx-testdata)")
	return cmd
}
