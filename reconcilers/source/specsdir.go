package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// SpecsDir watches Dir.
type SpecsDir struct {
	Dir string
	// List returns the names of the objects declared in Dir now.
	List func() ([]string, error)
	// Debounce is the quiet time after the last change before re-listing
	// (default 300ms).
	Debounce time.Duration
	// Resync is the period of the full re-list safety net (default 1m).
	Resync time.Duration
	// Gone, if set, is called with each name whose declaration disappeared
	// (before it is enqueued once more), to cancel work in progress for it.
	Gone func(name string)
	Log  *zap.Logger
}

// IsSpecFile reports whether a file name is a spec papdl reads: .yaml, .yml
// or .json, not hidden, not an editor temporary.
func IsSpecFile(name string) bool {
	base := filepath.Base(name)
	if base == "" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "#") ||
		strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".tmp") {
		return false
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Run enqueues names until ctx ends. initial are names known from elsewhere
// (the state directory) that must be reconciled once even if no spec
// declares them any more. It returns an error only when the watch cannot
// start.
func (s *SpecsDir) Run(ctx context.Context, initial []string, enqueue func(name string)) error {
	debounce, resync := s.Debounce, s.Resync
	if debounce <= 0 {
		debounce = 300 * time.Millisecond
	}
	if resync <= 0 {
		resync = time.Minute
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("specs directory: %w", err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.Dir, err)
	}
	defer w.Close()
	if err := s.watchTree(w, s.Dir); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, n := range initial {
		known[n] = true
	}
	relist := func(reason string) {
		names, err := s.List()
		if err != nil {
			s.Log.Warn("listing specs failed", zap.String("dir", s.Dir), zap.Error(err))
		}
		now := map[string]bool{}
		for _, n := range names {
			now[n] = true
			known[n] = true
		}
		all := make([]string, 0, len(known))
		for n := range known {
			all = append(all, n)
		}
		sort.Strings(all)
		s.Log.Debug("specs listed", zap.String("reason", reason), zap.Strings("names", all))
		for _, n := range all {
			if !now[n] && err == nil {
				if s.Gone != nil {
					s.Gone(n)
				}
				delete(known, n) // reconciled once into removal
			}
			enqueue(n)
		}
	}
	relist("start")
	ticker := time.NewTicker(resync)
	defer ticker.Stop()
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op&fsnotify.Create != 0 {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() && !hidden(ev.Name) {
					_ = s.watchTree(w, ev.Name)
				}
			}
			if !IsSpecFile(ev.Name) && !isDirEvent(ev) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				timer.Reset(debounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.Log.Warn("watch error", zap.String("dir", s.Dir), zap.Error(err))
		case <-fire:
			fire = nil
			relist("change")
		case <-ticker.C:
			relist("resync")
		}
	}
}

func isDirEvent(ev fsnotify.Event) bool {
	return filepath.Ext(ev.Name) == "" && !hidden(ev.Name) && ev.Op&(fsnotify.Remove|fsnotify.Rename|fsnotify.Create) != 0
}

func hidden(path string) bool { return strings.HasPrefix(filepath.Base(path), ".") }

// watchTree adds dir and its non-hidden subdirectories to the watcher.
func (s *SpecsDir) watchTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if path != dir && hidden(path) {
			return filepath.SkipDir
		}
		if err := w.Add(path); err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		return nil
	})
}
