package distributedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/source"
)

// Declaration is one DistributedModel document found in the specs
// directory: decoded, defaulted and validated (Object non-nil), or not (Err
// says why, naming the file, the document and the field).
type Declaration struct {
	Name   string
	File   string
	Line   int
	Object *v1alpha1.DistributedModel
	Err    error
}

// ScanSpecs reads every spec file under dir (hidden entries and editor
// temporaries skipped). Documents whose name cannot be read at all are
// returned under the name "" so that they are reported, not lost.
func ScanSpecs(dir string) (map[string][]Declaration, error) {
	out := map[string][]Declaration{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !source.IsSpecFile(path) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // vanished between listing and reading: the next event rescans
		}
		for _, decl := range declarations(data, path) {
			out[decl.Name] = append(out[decl.Name], decl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan specs in %s: %w", dir, err)
	}
	return out, nil
}

// SpecNames lists the names declared in dir.
func SpecNames(dir string) ([]string, error) {
	decls, err := ScanSpecs(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(decls))
	for n := range decls {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func declarations(data []byte, file string) []Declaration {
	var out []Declaration
	for _, raw := range strict.SplitDocuments(data) {
		var meta struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = yaml.Unmarshal(raw.Data, &meta) // lenient: only to learn the name
		decl := Declaration{Name: meta.Metadata.Name, File: file, Line: raw.Line}
		docs, err := v1alpha1.Decode(raw.Data, file)
		switch {
		case err != nil:
			decl.Err = fmt.Errorf("%s (line %d): %w", file, raw.Line, unwrapDocument(err))
		case len(docs) != 1:
			decl.Err = fmt.Errorf("%s (line %d): expected one document", file, raw.Line)
		default:
			obj := docs[0].Object
			obj.Default()
			if errs := obj.Validate(); len(errs) > 0 {
				decl.Err = fmt.Errorf("%s (line %d): %w", file, raw.Line, errs.ToAggregate())
			} else {
				decl.Object = obj
			}
		}
		out = append(out, decl)
	}
	return out
}

// unwrapDocument drops Decode's own "file: document 1 (line 1)" prefix, which
// is wrong for a document decoded alone; the caller adds the right one.
func unwrapDocument(err error) error {
	var de *v1alpha1.DocumentError
	if errors.As(err, &de) {
		return de.Err
	}
	return err
}
