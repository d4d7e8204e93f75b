package source

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// ModelFiles watches the model files the specs name: a write, a
// replacement (rename over it) or a removal enqueues the models using the
// file, after a quiet time, so a changed model is resliced at once rather
// than at the next periodic check. It watches each file's directory, which
// sees atomic replacements that a watch on the file itself would lose.
type ModelFiles struct {
	// Debounce is the quiet time after the last change (default 300ms).
	Debounce time.Duration
	Log      *zap.Logger

	mu      sync.Mutex
	users   map[string]map[string]bool // file -> models
	dirs    map[string]bool            // directories watched
	pending chan string                // directories to add
}

// NewModelFiles returns a watcher to Track files with and Run.
func NewModelFiles(log *zap.Logger) *ModelFiles {
	return &ModelFiles{Log: log, users: map[string]map[string]bool{}, dirs: map[string]bool{},
		pending: make(chan string, 64)}
}

// Track records that model uses the file at path (and no other file).
func (m *ModelFiles) Track(model, path string) {
	path = filepath.Clean(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	for p, models := range m.users {
		if p != path {
			delete(models, model)
		}
	}
	if m.users[path] == nil {
		m.users[path] = map[string]bool{}
	}
	m.users[path][model] = true
	dir := filepath.Dir(path)
	if !m.dirs[dir] {
		m.dirs[dir] = true
		select {
		case m.pending <- dir:
		default: // the periodic recheck still sees the change
		}
	}
}

// models returns the models using path.
func (m *ModelFiles) models(path string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name := range m.users[filepath.Clean(path)] {
		out = append(out, name)
	}
	return out
}

// Run watches until ctx ends, calling enqueue with the models whose file
// changed.
func (m *ModelFiles) Run(ctx context.Context, enqueue func(model string)) error {
	debounce := m.Debounce
	if debounce <= 0 {
		debounce = 300 * time.Millisecond
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch model files: %w", err)
	}
	defer w.Close()
	due := map[string]time.Time{}
	tick := time.NewTicker(debounce / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case dir := <-m.pending:
			if err := w.Add(dir); err != nil {
				m.Log.Warn("cannot watch a model file's directory; changes are seen at the periodic recheck",
					zap.String("dir", dir), zap.Error(err))
			}
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			for _, model := range m.models(ev.Name) {
				due[model] = time.Now().Add(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			m.Log.Warn("model file watch error", zap.Error(err))
		case now := <-tick.C:
			for model, at := range due {
				if now.After(at) {
					delete(due, model)
					m.Log.Debug("model file changed", zap.String("model", model))
					enqueue(model)
				}
			}
		}
	}
}
