package commands

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

type inferOptions struct {
	model  string
	inputs []string
	output string
}

func newInferCommand() *cobra.Command {
	var o inferOptions
	cmd := &cobra.Command{
		Use:   "infer -m MODEL.onnx|PARTITION_DIR -i IN.npy -o OUT.npy",
		Short: "Run a model, or the partitions of a sliced model in sequence, on one input",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInfer(cmd.Context(), cmd, o)
		},
	}
	cmd.Flags().StringVarP(&o.model, "model", "m", "", "an .onnx file, or a directory written by 'papdlctl slice'")
	cmd.Flags().StringArrayVarP(&o.inputs, "input", "i", nil, "input .npy file, - for standard input (NAME=FILE.npy when the model has several inputs)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "where to write the output .npy, - for standard output (NAME=FILE.npy for one of several outputs)")
	_ = cmd.MarkFlagRequired("model")
	_ = cmd.MarkFlagRequired("input")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// runner is what infer needs of a model or a chain of partitions.
type runner interface {
	Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
}

func runInfer(ctx context.Context, cmd *cobra.Command, o inferOptions) error {
	var r runner
	var inNames, outNames []string
	if st, err := os.Stat(o.model); err == nil && st.IsDir() {
		c, err := slice.LoadChain(o.model)
		if err != nil {
			return err
		}
		r = c
		for _, v := range c.Manifest.Inputs {
			inNames = append(inNames, v.Name)
		}
		for _, v := range c.Manifest.Outputs {
			outNames = append(outNames, v.Name)
		}
	} else {
		m, _, err := loadModelFile(o.model)
		if err != nil {
			return err
		}
		p, err := engine.Compile(m, engine.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", o.model, err)
		}
		r = p
		for _, v := range p.Inputs() {
			inNames = append(inNames, v.Name)
		}
		for _, v := range p.Outputs() {
			outNames = append(outNames, v.Name)
		}
	}
	feeds, err := readNpyInputs(cmd, o.inputs, inNames)
	if err != nil {
		return err
	}
	start := time.Now()
	outs, err := r.Run(ctx, feeds)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	outName, path, named := cutNamed(o.output)
	if !named {
		if len(outNames) != 1 {
			return fmt.Errorf("-o %s: the model has %d outputs: give NAME=FILE.npy", o.output, len(outNames))
		}
		outName = outNames[0]
	}
	t, ok := outs[outName]
	if !ok {
		return fmt.Errorf("-o %s: the model has no output %q", o.output, outName)
	}
	if err := writeNpy(cmd, path, t); err != nil {
		return err
	}
	fmt.Fprintf(reportTo(cmd, path), "wrote %s %s to %s in %.1f ms\n", outName, t, displayPath(path), float64(elapsed.Microseconds())/1000)
	return nil
}

// cutNamed splits "NAME=PATH"; without '=' it returns the whole as path.
func cutNamed(s string) (name, path string, named bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}
