package objects

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

// ErrNotFound marks a model no spec declares (Delete) or the controller
// has no state of (LoadRecords).
var ErrNotFound = errors.New("not found")

// Delete removes every declaration of the named model from the specs
// directory: the file when it declares the model alone, the document
// otherwise. The controller then removes everything the model created. A
// model no spec declares is an error wrapping ErrNotFound.
func Delete(specsDir, name string) error {
	decls, err := distributedmodel.ScanSpecs(specsDir)
	if err != nil {
		return err
	}
	found := decls[name]
	if name == "" || len(found) == 0 {
		return fmt.Errorf("distributedmodel %q is not declared in %s: %w", name, specsDir, ErrNotFound)
	}
	var errs []error
	for _, d := range found {
		if err := removeDeclaration(d.File, d.Line); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
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
