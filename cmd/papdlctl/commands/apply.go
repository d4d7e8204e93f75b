package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/source"
	"github.com/papdl/papdl/reconcilers/store"
)

type applyOptions struct {
	dirs  dirOptions
	files []string
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
absolute ones, since the spec moves to another directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runApply(cmd, o) },
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "spec file, directory of spec files, or - for standard input")
	o.dirs.bindSpecs(cmd.Flags())
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
	inputs, err := readSpecInputs(cmd.InOrStdin(), o.files)
	if err != nil {
		return err
	}
	existing, err := distributedmodel.ScanSpecs(o.dirs.specsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := admitPorts(existing, inputs); err != nil {
		return err
	}
	for _, in := range inputs {
		target := filepath.Join(o.dirs.specsDir, in.name+".yaml")
		for _, d := range existing[in.name] {
			if d.File != target {
				if n, _ := docsIn(d.File); n > 1 {
					return fmt.Errorf("model %q is declared in %s together with other models: edit it there", in.name, d.File)
				}
				target = d.File
			}
		}
		old, _ := os.ReadFile(target)
		verb := "created"
		switch {
		case string(old) == string(in.doc):
			verb = "unchanged"
		case old != nil:
			verb = "configured"
		}
		if verb != "unchanged" {
			if err := store.WriteFileAtomic(target, in.doc); err != nil {
				return err
			}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "distributedmodel/%s %s\n", in.name, verb)
	}
	return nil
}

// readSpecInputs decodes and validates every document of the given files,
// directories or stdin, returning them ready to write (model paths made
// absolute), or every problem at once.
func readSpecInputs(stdin io.Reader, files []string) ([]specInput, error) {
	var paths []string
	for _, f := range files {
		if f == "-" {
			paths = append(paths, "-")
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			paths = append(paths, f)
			continue
		}
		entries, err := os.ReadDir(f)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && source.IsSpecFile(e.Name()) {
				paths = append(paths, filepath.Join(f, e.Name()))
			}
		}
	}
	var out []specInput
	var problems []string
	seen := map[string]string{}
	for _, p := range paths {
		var data []byte
		var err error
		base := "."
		if p == "-" {
			data, err = io.ReadAll(io.LimitReader(stdin, distributedmodel.MaxSpecFileBytes+1))
			if err == nil && len(data) > distributedmodel.MaxSpecFileBytes {
				err = fmt.Errorf("standard input: more than the %d bytes a spec may have", distributedmodel.MaxSpecFileBytes)
			}
		} else {
			data, err = distributedmodel.ReadSpecFile(p)
			base = filepath.Dir(p)
		}
		if err != nil {
			return nil, err
		}
		docs, err := v1alpha1.Decode(data, p)
		if err != nil {
			problems = append(problems, err.Error())
		}
		for _, d := range docs {
			obj := d.Object
			orig := *obj // as written, without defaults
			obj.Default()
			if errs := obj.Validate(); len(errs) > 0 {
				problems = append(problems, fmt.Sprintf("%s: document %d (line %d): %v", p, d.Index, d.Line, errs.ToAggregate()))
				continue
			}
			if prev, dup := seen[obj.Name]; dup {
				problems = append(problems, fmt.Sprintf("%s: model %q is also declared in %s", p, obj.Name, prev))
				continue
			}
			seen[obj.Name] = p
			if mp := orig.Spec.Model.Path; mp != "" && !filepath.IsAbs(mp) {
				abs, err := filepath.Abs(filepath.Join(base, mp))
				if err != nil {
					return nil, err
				}
				orig.Spec.Model.Path = abs
			}
			orig.Status = v1alpha1.DistributedModelStatus{}
			doc, err := yaml.Marshal(&orig)
			if err != nil {
				return nil, fmt.Errorf("%s: encode %s: %w", p, obj.Name, err)
			}
			out = append(out, specInput{name: obj.Name, doc: doc, file: p})
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("nothing applied:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(out) == 0 {
		return nil, errors.New("no DistributedModel found")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// docsIn counts the documents of a spec file.
func docsIn(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return len(strict.SplitDocuments(data)), nil
}

// admitPorts refuses inputs whose gateway would take a port another model
// already claims on the same source node (the models in the specs
// directory keep theirs; among the inputs, the first in name order wins).
func admitPorts(existing map[string][]distributedmodel.Declaration, inputs []specInput) error {
	applying := map[string]bool{}
	for _, in := range inputs {
		applying[in.name] = true
	}
	var objs []*v1alpha1.DistributedModel
	for name, ds := range existing {
		if name != "" && !applying[name] && len(ds) == 1 && ds[0].Object != nil {
			objs = append(objs, ds[0].Object)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })
	for _, in := range inputs {
		for _, d := range distributedmodel.Declarations(in.doc, in.file) {
			if d.Object != nil {
				objs = append(objs, d.Object)
			}
		}
	}
	if errs := v1alpha1.PortConflicts(objs); len(errs) > 0 {
		return fmt.Errorf("nothing applied: %w", errs.ToAggregate())
	}
	return nil
}
