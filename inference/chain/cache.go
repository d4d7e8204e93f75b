package chain

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/papdl/papdl/inference/wholefile"
)

// ArtifactCache keeps fetched partition files by their sha256 in a
// directory: on a Swarm node, a named volume that outlives the partition
// servers, so that a partition restarted or re-placed on a node that ran
// it before loads its weights from disk instead of downloading them again.
// Entries are verified on every use (the decoder checks the digest); the
// least recently used go when the directory grows over MaxBytes.
type ArtifactCache struct {
	Dir string
	// MaxBytes bounds the directory (default 8 GiB).
	MaxBytes int64
}

// DefaultCacheBytes is an ArtifactCache's default bound.
const DefaultCacheBytes = 8 << 30

// cachePath is the entry of a digest, which must be 64 lower-case hex
// digits (it comes from a manifest: never a path as given).
func (c *ArtifactCache) cachePath(sha256 string) (string, error) {
	if len(sha256) != 64 {
		return "", fmt.Errorf("artifact cache: %q is not a sha256", sha256)
	}
	for _, r := range sha256 {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", fmt.Errorf("artifact cache: %q is not a sha256", sha256)
		}
	}
	return filepath.Join(c.Dir, sha256), nil
}

// Get returns the cached bytes of sha256 (at most maxBytes), or false.
func (c *ArtifactCache) Get(sha256 string, maxBytes int64) ([]byte, bool) {
	path, err := c.cachePath(sha256)
	if err != nil {
		return nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxBytes {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxBytes))
	if err != nil || int64(len(b)) != st.Size() {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now) // recently used
	return b, true
}

// Drop removes the entry of sha256 (it did not verify).
func (c *ArtifactCache) Drop(sha256 string) {
	if path, err := c.cachePath(sha256); err == nil {
		_ = os.Remove(path)
	}
}

// Put stores data (already verified to have digest sha256) and evicts the
// least recently used entries beyond MaxBytes.
func (c *ArtifactCache) Put(sha256 string, data []byte) error {
	path, err := c.cachePath(sha256)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	if err := wholefile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	return c.evict(sha256)
}

// evict removes the least recently used entries until the directory is
// within MaxBytes; keep is never removed.
func (c *ArtifactCache) evict(keep string) error {
	limit := c.MaxBytes
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	type entry struct {
		name string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		all = append(all, entry{e.Name(), info.Size(), info.ModTime()})
		total += info.Size()
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, e := range all {
		if total <= limit {
			break
		}
		if e.name == keep {
			continue
		}
		if err := os.Remove(filepath.Join(c.Dir, e.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("artifact cache: %w", err)
		}
		total -= e.size
	}
	return nil
}
