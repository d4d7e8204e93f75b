package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/slice"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestArtifactCache: entries come back by digest, a name that is not a
// digest never becomes a path, entries over the bound are refused, and the
// least recently used go first when the cache grows over its bound.
func TestArtifactCache(t *testing.T) {
	dir := t.TempDir()
	c := &ArtifactCache{Dir: filepath.Join(dir, "cache"), MaxBytes: 250}
	a, b, d := bytes.Repeat([]byte{1}, 100), bytes.Repeat([]byte{2}, 100), bytes.Repeat([]byte{3}, 100)
	for _, x := range [][]byte{a, b} {
		if err := c.Put(digest(x), x); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(filepath.Join(c.Dir, digest(b)), old, old)
	if got, ok := c.Get(digest(a), 1000); !ok || !bytes.Equal(got, a) { // a is used now, b an hour ago
		t.Fatalf("get a: %v", ok)
	}
	if err := c.Put(digest(d), d); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		sha  string
		max  int64
		want bool
	}{
		{"recently used kept", digest(a), 1000, true},
		{"least recently used evicted", digest(b), 1000, false},
		{"just put", digest(d), 1000, true},
		{"over the read bound", digest(d), 50, false},
		{"not a digest", "../cache/" + digest(a)[9:], 1000, false},
		{"upper case", "A" + digest(a)[1:], 1000, false},
	} {
		if _, ok := c.Get(tt.sha, tt.max); ok != tt.want {
			t.Errorf("%s: Get = %v, want %v", tt.name, ok, tt.want)
		}
	}
	if err := c.Put("../escape", a); err == nil {
		t.Error("Put accepted a name that is not a digest")
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Error("Put wrote outside the cache")
	}
	c.Drop(digest(a))
	if _, ok := c.Get(digest(a), 1000); ok {
		t.Error("a dropped entry is still served")
	}
}

// TestLoadStageUsesTheCache: a partition fetched once loads from the cache
// when its server is gone, and a corrupted entry is fetched again.
func TestLoadStageUsesTheCache(t *testing.T) {
	s := sliceModel(t, tinyResNet(1), nil)
	parts, err := s.a.Partition(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	man, err := slice.Write(dir, s.a, parts, "model")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	cache := &ArtifactCache{Dir: filepath.Join(t.TempDir(), "cache")}
	src := StageSource{Manifest: filepath.Join(dir, slice.ManifestFile), Index: 0,
		Partition: srv.URL + "/" + man.Partitions[0].File, Cache: cache}
	if _, _, err := LoadStage(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, _, err := LoadStage(context.Background(), src); err != nil {
		t.Fatalf("the server is gone, the cache holds the partition: %v", err)
	}
	entry := filepath.Join(cache.Dir, man.Partitions[0].SHA256)
	if err := os.WriteFile(entry, []byte("not a partition"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadStage(context.Background(), src); err == nil {
		t.Fatal("a corrupted cache entry was used")
	}
	if _, err := os.Stat(entry); err == nil {
		t.Error("the corrupted entry is still there")
	}
}
