package commands

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/field"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
)

// validateOptions are the flags of papdlctl validate.
type validateOptions struct {
	files      []string
	checkFiles bool
}

func newValidateCommand() *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR|- [-f ...]",
		Short: "Check DistributedModel specs without applying them",
		Long: `Decode every document of the given spec files strictly, apply defaults and
validate them, reporting every problem with its file, document and field
path. A directory stands for its spec files (as with apply -f DIR); - reads
standard input. The model file is only read when the spec pins its sha256, or when
--check-files asks for every model to exist.`,
		Example: `  papdlctl validate -f specs/swarm/vgg16.yaml
  papdlctl validate -f specs/local/resnet18.yaml --check-files`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runValidate(cmd.OutOrStdout(), cmd.InOrStdin(), o)
		},
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "spec file, directory of spec files, or - for standard input (repeatable)")
	cmd.Flags().BoolVar(&o.checkFiles, "check-files", false, "also require every model file to exist")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runValidate(w io.Writer, stdin io.Reader, o *validateOptions) error {
	files, err := objects.SpecFiles(o.files)
	if err != nil {
		return err
	}
	var total, bad int
	var valid []*v1alpha1.DistributedModel
	for _, file := range files {
		docs, err := loadSpecDocs(stdin, file)
		if err != nil {
			var joined interface{ Unwrap() []error }
			errs := []error{err}
			if errors.As(err, &joined) {
				errs = joined.Unwrap()
			}
			for _, e := range errs {
				bad++
				total++
				printProblems(w, e)
			}
		}
		for _, d := range docs {
			total++
			obj := d.Object
			obj.Default()
			problems := obj.Validate()
			var fileErr error
			if len(problems) == 0 && (obj.Spec.Model.SHA256 != "" || o.checkFiles) {
				fileErr = v1alpha1.VerifyModelFile(d.ModelPath(), obj.Spec.Model.SHA256)
			}
			name := fmt.Sprintf("%s: document %d (line %d): %s %q", d.File, d.Index, d.Line, obj.Kind, obj.Name)
			switch {
			case len(problems) > 0:
				bad++
				fmt.Fprintf(w, "%s: invalid\n", name)
				for _, p := range problems {
					fmt.Fprintf(w, "  - %v\n", p)
				}
			case fileErr != nil:
				bad++
				fmt.Fprintf(w, "%s: invalid\n  - spec.model.path: %v\n", name, fileErr)
			default:
				valid = append(valid, obj)
				fmt.Fprintf(w, "%s: valid (objective %s, model %s)\n", name, obj.Spec.Objective, d.ModelPath())
			}
		}
	}
	// Across files: two gateways on one node's port.
	for _, p := range v1alpha1.PortConflicts(valid) {
		bad++
		fmt.Fprintf(w, "port conflict: %v\n", p)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d documents invalid", bad, total)
	}
	return nil
}

// printProblems lists a decode error's field problems one per line.
func printProblems(w io.Writer, err error) {
	var de *v1alpha1.DocumentError
	var agg *field.AggregateError
	if errors.As(err, &de) && errors.As(err, &agg) {
		fmt.Fprintf(w, "%s: document %d (line %d): invalid\n", de.File, de.Index, de.Line)
		for _, p := range agg.Errors {
			fmt.Fprintf(w, "  - %v\n", p)
		}
		return
	}
	fmt.Fprintf(w, "%v\n", err)
}

// loadSpecDocs reads the documents of a spec file, or of standard input
// for "-" (relative model paths then resolve against the working
// directory).
func loadSpecDocs(stdin io.Reader, file string) ([]v1alpha1.Document, error) {
	if file != "-" {
		return v1alpha1.LoadFile(file)
	}
	data, err := io.ReadAll(io.LimitReader(stdin, distributedmodel.MaxSpecFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	if len(data) > distributedmodel.MaxSpecFileBytes {
		return nil, fmt.Errorf("standard input: more than the %d bytes a spec may have", distributedmodel.MaxSpecFileBytes)
	}
	return v1alpha1.Decode(data, "-") // Dir() of "-" is "."
}
