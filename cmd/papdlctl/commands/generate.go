package commands

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/zoo"
)

type generateOptions struct {
	arch  string
	out   string
	seed  uint64
	batch int
}

func newModelCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Work with model files"}
	cmd.AddCommand(newModelGenerateCommand(), newModelInputCommand())
	return cmd
}

func newModelGenerateCommand() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate --arch NAME -o FILE.onnx",
		Short: "Write a model of the zoo (" + strings.Join(zoo.Archs(), ", ") + ") with seeded weights",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := zoo.Generate(o.arch, zoo.Options{Seed: o.seed, Batch: o.batch})
			if err != nil {
				return err
			}
			data, err := onnx.Encode(m)
			if err != nil {
				return err
			}
			if err := writeDataFile(cmd, o.out, data); err != nil {
				return err
			}
			fmt.Fprintf(reportTo(cmd, o.out), "wrote %s (%s, %d nodes)\n", displayPath(o.out), o.arch, len(m.Graph.Nodes))
			return nil
		},
	}
	cmd.Flags().StringVar(&o.arch, "arch", "", "architecture: "+strings.Join(zoo.Archs(), ", "))
	mustCompleteFlag(cmd, "arch", completeValues(zoo.Archs()...))
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "where to write the .onnx file (- for standard output)")
	cmd.Flags().Uint64Var(&o.seed, "seed", 1, "seed of the weights")
	cmd.Flags().IntVar(&o.batch, "batch", 1, "batch size of the input")
	_ = cmd.MarkFlagRequired("arch")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}
