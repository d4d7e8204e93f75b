package commands

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/objects"
)

type applyOptions struct {
	dirs   dirOptions
	files  []string
	output string
}

func newApplyCommand() *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|- [--specs-dir DIR]",
		Short: "Validate DistributedModel specs and write them into the controller's specs directory",
		Long: `Every document is decoded strictly, defaulted and validated first; nothing
is written unless all are valid. Each model is then written atomically to
SPECS_DIR/<name>.yaml (or to the single-document file that already declares
it), where the controller picks it up. Relative model paths are rewritten to
absolute ones, since the spec moves to another directory.

With a papdl config (--config, $PAPDL_CONFIG or ~/.papdl/config), each model
is sent to the controller's API instead, which validates it again and writes
it into its specs directory the same way; model paths name files on the
controller's host.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runApply(cmd, o) },
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "spec file, directory of spec files, or - for standard input")
	o.dirs.bindSpecs(cmd.Flags())
	bindOutputFlag(cmd, &o.output, "output format", []string{outputName})
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// specInput is one document to apply.
type specInput struct {
	name string
	doc  []byte
	// file is where the document was read ("-" for standard input).
	file string
}

func runApply(cmd *cobra.Command, o applyOptions) error {
	out, err := parseOutput(o.output, outputName)
	if err != nil {
		return err
	}
	inputs, err := objects.ReadInputs(cmd.InOrStdin(), o.files)
	if err != nil {
		return err
	}
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	results, err := b.Apply(cmd.Context(), inputs)
	for _, r := range results {
		if out.format == outputName {
			fmt.Fprintln(cmd.OutOrStdout(), objectName(r.Name))
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", objectName(r.Name), r.Verb)
	}
	return err
}

// readSpecInputs decodes and validates every document of the given files,
// directories or stdin, returning them ready to write (model paths made
// absolute), or every problem at once.
func readSpecInputs(stdin io.Reader, files []string) ([]specInput, error) {
	ins, err := objects.ReadInputs(stdin, files)
	if err != nil {
		return nil, err
	}
	out := make([]specInput, len(ins))
	for i, in := range ins {
		out[i] = specInput{name: in.Name, doc: in.Doc, file: in.File}
	}
	return out, nil
}
