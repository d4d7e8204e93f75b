package distributedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/wholefile"
	"github.com/papdl/papdl/reconcilers/source"
)

// MaxSpecFileBytes bounds one spec file: a larger file is reported as
// broken, never read whole.
const MaxSpecFileBytes = 1 << 20

// Declaration is one DistributedModel document found in the specs
// directory: decoded, defaulted and validated (Object non-nil), or not (Err
// says why, naming the file, the document and the field).
type Declaration struct {
	// Name is the document's metadata.name; "" when the document (or the
	// whole file) cannot be read far enough to know it, or when the name
	// itself is invalid (it is never used as a key then).
	Name   string
	File   string
	Line   int
	Object *v1alpha1.DistributedModel
	Err    error
}

// SpecIndex reads the specs directory incrementally: a file is read and
// decoded again only when its size, modification time or inode changed.
// It is safe for concurrent use.
type SpecIndex struct {
	dir   string
	mu    sync.Mutex
	files map[string]specFile
}

type specFile struct {
	size  int64
	mtime time.Time
	ino   uint64
	decls []Declaration
}

// NewSpecIndex indexes dir.
func NewSpecIndex(dir string) *SpecIndex {
	return &SpecIndex{dir: dir, files: map[string]specFile{}}
}

// Scan returns the declarations of every spec file under the directory
// (hidden entries and editor temporaries skipped) by name. Documents whose
// name cannot be known are listed under "" so that they are reported, not
// lost. Only an unreadable directory is an error.
func (x *SpecIndex) Scan() (map[string][]Declaration, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[string][]Declaration{}
	seen := map[string]bool{}
	err := filepath.WalkDir(x.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if path == x.dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if path != x.dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !source.IsSpecFile(path) {
			return nil
		}
		seen[path] = true
		for _, decl := range x.file(path) {
			out[decl.Name] = append(out[decl.Name], decl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan specs in %s: %w", x.dir, err)
	}
	for path := range x.files {
		if !seen[path] {
			delete(x.files, path)
		}
	}
	return out, nil
}

// Names lists the valid names declared in the directory.
func (x *SpecIndex) Names() ([]string, error) {
	decls, err := x.Scan()
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

// file returns the declarations of one spec file, from the cache while the
// file is unchanged.
func (x *SpecIndex) file(path string) []Declaration {
	st, err := os.Stat(path) // follows symlinks: what a read would see
	if err != nil {
		return []Declaration{{File: path, Line: 1, Err: fmt.Errorf("%s: %w", path, err)}}
	}
	key := specFile{size: st.Size(), mtime: st.ModTime(), ino: inode(st)}
	if c, ok := x.files[path]; ok && c.size == key.size && c.mtime.Equal(key.mtime) && c.ino == key.ino {
		return c.decls
	}
	data, err := ReadSpecFile(path)
	if err != nil {
		key.decls = []Declaration{{File: path, Line: 1, Err: err}}
	} else {
		key.decls = Declarations(data, path)
	}
	x.files[path] = key
	return key.decls
}

// readSpecFile reads a regular file of at most MaxSpecFileBytes.
func ReadSpecFile(path string) ([]byte, error) {
	return wholefile.Read(path, MaxSpecFileBytes)
}

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}

// ScanSpecs reads every spec file under dir once (see SpecIndex.Scan).
func ScanSpecs(dir string) (map[string][]Declaration, error) {
	return NewSpecIndex(dir).Scan()
}

// SpecNames lists the valid names declared in dir.
func SpecNames(dir string) ([]string, error) {
	return NewSpecIndex(dir).Names()
}

// Declarations decodes, defaults and validates every document of a spec
// file's contents.
func Declarations(data []byte, file string) []Declaration {
	var out []Declaration
	for _, raw := range strict.SplitDocuments(data) {
		var meta struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = yaml.Unmarshal(raw.Data, &meta) // lenient: only to learn the name
		decl := Declaration{Name: meta.Metadata.Name, File: file, Line: raw.Line}
		if v1alpha1.ValidateName(decl.Name) != nil {
			decl.Name = "" // never a key, a path or a service name
		}
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

// brokenIn returns the errors of the documents of file that could not be
// decoded into a valid object: what quarantines a model whose declaration
// vanished from that file.
func brokenIn(decls map[string][]Declaration, file string) []error {
	var errs []error
	for _, ds := range decls {
		for _, d := range ds {
			if d.File == file && d.Err != nil {
				errs = append(errs, d.Err)
			}
		}
	}
	return errs
}
