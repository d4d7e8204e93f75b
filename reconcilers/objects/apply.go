package objects

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/source"
	"github.com/papdl/papdl/reconcilers/store"
)

// Input is one validated DistributedModel document, ready to write.
type Input struct {
	Name string
	// Doc is the document as written (no defaults, no status), with a
	// relative model path made absolute.
	Doc []byte
	// File is where the document was read ("-" for standard input).
	File string
}

// Result is what Apply did with one model: "created", "configured" or
// "unchanged".
type Result struct {
	Name string `json:"name"`
	Verb string `json:"result"`
}

// ErrInvalid marks specs refused by validation: nothing was written.
// errors.Is finds it; the message is only the problems.
var ErrInvalid = errors.New("invalid")

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf is an error wrapping ErrInvalid with the given message.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Decode decodes, defaults and validates every document of data (read from
// file), returning the documents ready to write. A relative model path is
// resolved against base; when base is "", a relative path is refused (the
// API server has no directory the caller's paths are relative to). All
// problems are reported at once, in one error wrapping ErrInvalid.
func Decode(data []byte, file, base string) ([]Input, error) {
	out, problems := decode(data, file, base)
	if len(problems) > 0 {
		return nil, invalidf("nothing applied:\n  %s", strings.Join(problems, "\n  "))
	}
	return out, nil
}

func decode(data []byte, file, base string) ([]Input, []string) {
	var out []Input
	var problems []string
	docs, err := v1alpha1.Decode(data, file)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, d := range docs {
		obj := d.Object
		orig := *obj // as written, without defaults
		obj.Default()
		if errs := obj.Validate(); len(errs) > 0 {
			problems = append(problems, fmt.Sprintf("%s: document %d (line %d): %v", file, d.Index, d.Line, errs.ToAggregate()))
			continue
		}
		if mp := orig.Spec.Model.Path; mp != "" && !filepath.IsAbs(mp) {
			if base == "" {
				problems = append(problems, fmt.Sprintf("%s: document %d (line %d): spec.model.path %q: must be absolute (a path on the controller's host)", file, d.Index, d.Line, mp))
				continue
			}
			abs, err := filepath.Abs(filepath.Join(base, mp))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: spec.model.path %q: %v", file, mp, err))
				continue
			}
			orig.Spec.Model.Path = abs
		}
		orig.Status = v1alpha1.DistributedModelStatus{}
		doc, err := yaml.Marshal(&orig)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: encode %s: %v", file, obj.Name, err))
			continue
		}
		out = append(out, Input{Name: obj.Name, Doc: doc, File: file})
	}
	return out, problems
}

// SpecFiles expands the arguments of -f: a directory stands for its spec
// files (not recursively, in name order); files and "-" (stdin) are kept.
func SpecFiles(args []string) ([]string, error) {
	var paths []string
	for _, f := range args {
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
	return paths, nil
}

// ReadInputs decodes and validates every document of the given files,
// directories (their spec files, not recursively) or "-" (stdin), returning
// them sorted by name, or every problem at once. No model may be declared
// twice.
func ReadInputs(stdin io.Reader, files []string) ([]Input, error) {
	paths, err := SpecFiles(files)
	if err != nil {
		return nil, err
	}
	var out []Input
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
		ins, probs := decode(data, p, base)
		problems = append(problems, probs...)
		for _, in := range ins {
			if prev, dup := seen[in.Name]; dup {
				problems = append(problems, fmt.Sprintf("%s: model %q is also declared in %s", p, in.Name, prev))
				continue
			}
			seen[in.Name] = p
			out = append(out, in)
		}
	}
	if len(problems) > 0 {
		return nil, invalidf("nothing applied:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(out) == 0 {
		return nil, invalidf("no DistributedModel found")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Apply writes every input atomically into the specs directory: to
// SPECS/<name>.yaml, or to the single-document file that already declares
// the model. Nothing is written when an input's gateway port conflicts with
// another model's, or when a model is declared in a file together with
// other models (it must be edited there).
func Apply(specsDir string, inputs []Input) ([]Result, error) {
	existing, err := distributedmodel.ScanSpecs(specsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := admitPorts(existing, inputs); err != nil {
		return nil, err
	}
	targets := make([]string, len(inputs))
	for i, in := range inputs {
		target := filepath.Join(specsDir, in.Name+".yaml")
		for _, d := range existing[in.Name] {
			if d.File != target {
				if n, _ := docsIn(d.File); n > 1 {
					return nil, invalidf("model %q is declared in %s together with other models: edit it there", in.Name, d.File)
				}
				target = d.File
			}
		}
		targets[i] = target
	}
	var out []Result
	for i, in := range inputs {
		old, _ := os.ReadFile(targets[i])
		verb := "created"
		switch {
		case string(old) == string(in.Doc):
			verb = "unchanged"
		case old != nil:
			verb = "configured"
		}
		if verb != "unchanged" {
			if err := store.WriteFileAtomic(targets[i], in.Doc); err != nil {
				return out, fmt.Errorf("apply %s: %w", in.Name, err)
			}
		}
		out = append(out, Result{Name: in.Name, Verb: verb})
	}
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
func admitPorts(existing map[string][]distributedmodel.Declaration, inputs []Input) error {
	applying := map[string]bool{}
	for _, in := range inputs {
		applying[in.Name] = true
	}
	var objs []*v1alpha1.DistributedModel
	for name, ds := range existing {
		if name != "" && !applying[name] && len(ds) == 1 && ds[0].Object != nil {
			objs = append(objs, ds[0].Object)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })
	for _, in := range inputs {
		for _, d := range distributedmodel.Declarations(in.Doc, in.File) {
			if d.Object != nil {
				objs = append(objs, d.Object)
			}
		}
	}
	if errs := v1alpha1.PortConflicts(objs); len(errs) > 0 {
		return invalidf("nothing applied: %v", errs.ToAggregate())
	}
	return nil
}
