package commands

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

func newDeleteCommand() *cobra.Command {
	var dirs dirOptions
	var files []string
	cmd := &cobra.Command{
		Use:   "delete NAME... | -f FILE",
		Short: "Remove DistributedModels from the specs directory (the controller then removes everything they created)",
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(files) > 0 {
				inputs, err := readSpecInputs(cmd.InOrStdin(), files)
				if err != nil {
					return err
				}
				for _, in := range inputs {
					names = append(names, in.name)
				}
			}
			if len(names) == 0 {
				return fmt.Errorf("name a model, or give -f FILE")
			}
			return runDelete(cmd, dirs.specsDir, names)
		},
	}
	dirs.bindSpecs(cmd.Flags())
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "delete the models this file declares")
	return cmd
}

func runDelete(cmd *cobra.Command, specsDir string, names []string) error {
	decls, err := distributedmodel.ScanSpecs(specsDir)
	if err != nil {
		return err
	}
	var failed []string
	for _, name := range names {
		found := decls[name]
		if len(found) == 0 {
			failed = append(failed, fmt.Sprintf("distributedmodel %q is not declared in %s", name, specsDir))
			continue
		}
		for _, d := range found {
			if err := removeDeclaration(d.File, d.Line); err != nil {
				failed = append(failed, err.Error())
			}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s deleted\n", name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "\n"))
	}
	return nil
}

// removeDeclaration deletes the document starting at line from file, or the
// file when it is the only document.
func removeDeclaration(file string, line int) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	docs := strict.SplitDocuments(data)
	if len(docs) <= 1 {
		return os.Remove(file)
	}
	var keep []string
	for _, d := range docs {
		if d.Line != line {
			keep = append(keep, strings.TrimRight(string(d.Data), "\n"))
		}
	}
	return store.WriteFileAtomic(file, []byte(strings.Join(keep, "\n---\n")+"\n"))
}
