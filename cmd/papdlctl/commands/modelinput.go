package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/profile"
)

func newModelInputCommand() *cobra.Command {
	var model, out string
	var seed uint64
	var shapes []string
	cmd := &cobra.Command{
		Use:   "input -m MODEL.onnx -o IN.npy",
		Short: "Write a deterministic pseudo-random input of the model's input shape",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, _, err := loadModelFile(model)
			if err != nil {
				return err
			}
			p, err := engine.Compile(m, engine.Options{})
			if err != nil {
				return fmt.Errorf("%s: %w", model, err)
			}
			if len(p.Inputs()) != 1 {
				return fmt.Errorf("%s has %d inputs; this command writes one", model, len(p.Inputs()))
			}
			given, err := parseShapes(shapes)
			if err != nil {
				return err
			}
			vi := p.Inputs()[0]
			shape, ok := given[vi.Name]
			if !ok {
				if shape, ok = vi.FixedShape(); !ok {
					return fmt.Errorf("input %q has shape %s: give --input-shape", vi.Name, engine.DescribeValueInfo(vi))
				}
			}
			t := profile.SampleInput(vi.ElemType, shape, seed)
			if err := writeNpy(cmd, out, t); err != nil {
				return err
			}
			fmt.Fprintf(reportTo(cmd, out), "wrote %s %s to %s\n", vi.Name, t, displayPath(out))
			return nil
		},
	}
	cmd.Flags().StringVarP(&model, "model", "m", "", "the .onnx model")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the .npy (- for standard output)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the values")
	cmd.Flags().StringArrayVar(&shapes, "input-shape", nil, "NAME=D1xD2x... for inputs with symbolic dimensions")
	_ = cmd.MarkFlagRequired("model")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}
