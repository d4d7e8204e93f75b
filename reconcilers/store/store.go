package store

import (
	"bufio"
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
	"time"
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

// ArtifactDir is the directory of the partition set with the given key.
func (s *Store) ArtifactDir(key string) string { return filepath.Join(s.dir, "artifacts", key) }

// ProfilePath is the file of the cluster profile with the given key.
func (s *Store) ProfilePath(key string) string { return filepath.Join(s.dir, "profiles", key+".json") }

// ModelDir is the directory of one model's state.
func (s *Store) ModelDir(name string) string { return filepath.Join(s.dir, "models", name) }

// ReadJSON decodes path into v; found is false when the file is absent.
func ReadJSON(path string, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// WriteJSON encodes v into path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temporary file and rename.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ModelNames lists the models that have state.
func (s *Store) ModelNames() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "models"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// DeleteModel removes a model's state.
func (s *Store) DeleteModel(name string) error {
	return os.RemoveAll(s.ModelDir(name))
}

// Event is one line of a model's event log.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // Normal or Warning
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// maxEvents bounds a model's event log; older lines are dropped.
const maxEvents = 200

// AppendEvent adds an event to a model's log.
func (s *Store) AppendEvent(name string, ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	events, err := s.Events(name, 0)
	if err != nil {
		return err
	}
	events = append(events, ev)
	if len(events) > maxEvents {
		events = events[len(events)-maxEvents:]
	}
	var b strings.Builder
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return WriteFileAtomic(filepath.Join(s.ModelDir(name), "events.jsonl"), []byte(b.String()))
}

// Events returns the last limit events of a model (all when limit <= 0).
func (s *Store) Events(name string, limit int) ([]Event, error) {
	f, err := os.Open(filepath.Join(s.ModelDir(name), "events.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, sc.Err()
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
