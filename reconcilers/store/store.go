package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/wholefile"
)

// Store is a state directory.
type Store struct {
	dir string
	mu  sync.Mutex // serialises event appends
}

// Open creates the directory layout if needed.
func Open(dir string) (*Store, error) {
	for _, sub := range []string{"artifacts", "profiles", "models"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir is the state directory's path.
func (s *Store) Dir() string { return s.dir }

// Key hashes parts into a short content address.
func Key(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		if err := enc.Encode(p); err != nil {
			panic(fmt.Sprintf("store: key part %T: %v", p, err)) // plain data only
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ErrInvalidName marks a model name or key that may not become a path.
var ErrInvalidName = errors.New("invalid name")

// ValidName reports whether name may name a model's state: a DNS-1123
// label (v1alpha1.ValidateName). Every path builder below checks it, so no
// name such as "..", "a/b" or "../../x" ever reaches the file system.
func ValidName(name string) error {
	if err := v1alpha1.ValidateName(name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidName, err)
	}
	return nil
}

// ValidKey reports whether key is a content address as Key makes them
// (16 lowercase hexadecimal digits); keys are read back from state files,
// which may have been edited or damaged.
func ValidKey(key string) error {
	if len(key) != 16 || strings.Trim(key, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: key %q is not 16 lowercase hexadecimal digits", ErrInvalidName, truncate(key, 40))
	}
	return nil
}

// ArtifactDir is the directory of the partition set with the given key.
func (s *Store) ArtifactDir(key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", fmt.Errorf("artifact directory: %w", err)
	}
	return filepath.Join(s.dir, "artifacts", key), nil
}

// ProfilePath is the file of the cluster profile with the given key.
func (s *Store) ProfilePath(key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", fmt.Errorf("profile path: %w", err)
	}
	return filepath.Join(s.dir, "profiles", key+".json"), nil
}

// Files in a model's directory.
const (
	StatusFile = "status.json"
	PlanFile   = "plan.json"
	EventsFile = "events.jsonl"
)

// ModelDir is the directory of one model's state.
func (s *Store) ModelDir(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", fmt.Errorf("state directory of a model: %w", err)
	}
	return filepath.Join(s.dir, "models", name), nil
}

// ModelFile is the path of file (StatusFile, PlanFile, EventsFile) in a
// model's directory.
func (s *Store) ModelFile(name, file string) (string, error) {
	dir, err := s.ModelDir(name)
	if err != nil {
		return "", err
	}
	if file == "" || file != filepath.Base(file) || strings.HasPrefix(file, ".") {
		return "", fmt.Errorf("%w: model file %q", ErrInvalidName, file)
	}
	return filepath.Join(dir, file), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ErrCorrupt marks a state file that exists but cannot be decoded
// (truncated, garbage, or larger than MaxStateFileBytes). State is a cache:
// callers rebuild what it held from what the runtime observes, and may
// MoveAside the file to keep it for inspection.
var ErrCorrupt = errors.New("corrupt state file")

// MaxStateFileBytes bounds a JSON state file; a larger one is corrupt.
const MaxStateFileBytes = 16 << 20

// ReadJSON decodes path into v; found is false when the file is absent.
// A file that exists but does not decode yields an error wrapping
// ErrCorrupt (found is true); other errors are I/O errors.
func ReadJSON(path string, v any) (found bool, err error) {
	b, err := wholefile.Read(path, MaxStateFileBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case errors.Is(err, wholefile.ErrNotRegular), errors.Is(err, wholefile.ErrTooLarge):
		return true, fmt.Errorf("%w: %w", ErrCorrupt, err)
	case err != nil:
		return true, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	return true, nil
}

// MoveAside renames a (corrupt) state file to <path>.corrupt, replacing an
// earlier one, so that the next read finds it absent and the state is
// rebuilt, while the damaged copy stays for inspection. It returns the new
// path; a missing file is not an error.
func MoveAside(path string) (string, error) {
	aside := path + ".corrupt"
	if err := os.Rename(path, aside); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("move aside %s: %w", path, err)
	}
	return aside, nil
}

// WriteJSON encodes v into path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path (mode 0600) whole or not at all,
// creating its directory.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return wholefile.Write(path, data, 0o600)
}

// ModelNames lists the models that have state. Entries of the models
// directory that are not valid names (left by hand or by an older
// version) are skipped; InvalidModelEntries lists them.
func (s *Store) ModelNames() ([]string, error) {
	names, _, err := s.modelEntries()
	return names, err
}

// InvalidModelEntries lists the entries of the models directory that
// ModelNames skips: anything that is not a directory with a valid name,
// except hidden temporary files. Nothing ever acts on them; the controller
// reports them.
func (s *Store) InvalidModelEntries() ([]string, error) {
	_, invalid, err := s.modelEntries()
	return invalid, err
}

func (s *Store) modelEntries() (names, invalid []string, err error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "models"))
	if err != nil {
		return nil, nil, fmt.Errorf("list model state: %w", err)
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir() && ValidName(e.Name()) == nil:
			names = append(names, e.Name())
		default:
			invalid = append(invalid, e.Name())
		}
	}
	sort.Strings(names)
	sort.Strings(invalid)
	return names, invalid, nil
}

// DeleteModel removes a model's state; a name that is not valid is refused.
func (s *Store) DeleteModel(name string) error {
	dir, err := s.ModelDir(name)
	if err != nil {
		return fmt.Errorf("delete model state: %w", err)
	}
	return os.RemoveAll(dir)
}

// PruneArtifacts removes artifact directories whose keys are not in keep.
func (s *Store) PruneArtifacts(keep map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "artifacts"))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(s.dir, "artifacts", e.Name())); err != nil {
				return removed, err
			}
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}
