package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/papdl/papdl/apis/field"
	"github.com/papdl/papdl/apis/strict"
	"sigs.k8s.io/yaml"
)

// Document is one DistributedModel read from a file.
type Document struct {
	// File is the path the document was read from ("" if unknown).
	File string
	// Index is the 1-based position of the document in the file.
	Index int
	// Line is the line on which the document starts.
	Line int
	// Object is the decoded object, not defaulted.
	Object *DistributedModel
}

// Dir is the directory relative model paths are resolved against.
func (d Document) Dir() string {
	if d.File == "" {
		return "."
	}
	return filepath.Dir(d.File)
}

// ModelPath returns the model's path resolved against the spec's directory.
func (d Document) ModelPath() string {
	return d.Object.Spec.Model.ResolvePath(d.Dir())
}

// ResolvePath returns Path, joined to baseDir when relative.
func (m ModelSource) ResolvePath(baseDir string) string {
	if m.Path == "" || filepath.IsAbs(m.Path) {
		return m.Path
	}
	return filepath.Join(baseDir, m.Path)
}

// DocumentError is a problem with one document of a file.
type DocumentError struct {
	// File is the file's path.
	File string
	// Index is the 1-based document index within the file.
	Index int
	// Line is the line the document starts on.
	Line int
	// Err is the problem; a *field.AggregateError for schema problems.
	Err error
}

// Error names the file, the document and the problem.
func (e *DocumentError) Error() string {
	return fmt.Sprintf("%s: document %d (line %d): %v", e.File, e.Index, e.Line, e.Err)
}

// Unwrap returns the underlying problem.
func (e *DocumentError) Unwrap() error { return e.Err }

// LoadFile reads every DistributedModel in a YAML (or JSON) file.
func LoadFile(path string) ([]Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return Decode(data, path)
}

// Decode reads every document of a YAML stream strictly: an unknown or
// mistyped field is an error naming its path, the file and the document.
// Problems of all documents are joined into the returned error; documents
// that decoded cleanly are returned even then. A file with no document is
// an error.
func Decode(data []byte, file string) ([]Document, error) {
	if file == "" {
		file = "<input>"
	}
	raw := strict.SplitDocuments(data)
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no document found", file)
	}
	var docs []Document
	var errs []error
	for _, r := range raw {
		obj, err := decodeOne(r.Data)
		if err != nil {
			errs = append(errs, &DocumentError{File: file, Index: r.Index, Line: r.Line, Err: err})
			continue
		}
		docs = append(docs, Document{File: file, Index: r.Index, Line: r.Line, Object: obj})
	}
	return docs, errors.Join(errs...)
}

func decodeOne(data []byte) (*DistributedModel, error) {
	var tm TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var errs field.ErrorList
	if tm.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), tm.APIVersion, []string{APIVersion}))
	}
	if tm.Kind != KindDistributedModel {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), tm.Kind, []string{KindDistributedModel}))
	}
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	obj := &DistributedModel{}
	if err := strict.Decode(data, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// ErrModelChecksum is wrapped by VerifyModelFile when the content differs
// from the pinned digest.
var ErrModelChecksum = errors.New("model checksum mismatch")

// VerifyModelFile checks that the model file exists and, when sum is
// non-empty, that its SHA-256 equals sum. It is the file-system half of
// validation and is kept separate so specs can be validated before the
// models exist.
func VerifyModelFile(path, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("model file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("model file: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("model file %s is a directory", path)
	}
	if sum == "" {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("model file %s: %w", path, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(got, sum) {
		return fmt.Errorf("%s: sha256 is %s, spec pins %s: %w", path, got, strings.ToLower(sum), ErrModelChecksum)
	}
	return nil
}
