package swarm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// Publisher makes a file on the controller's host downloadable by the
// services and returns its URL. sha256 is the file's digest when the
// caller knows it ("" to have it computed).
type Publisher interface {
	Publish(ctx context.Context, path, sha256 string) (url string, err error)
}

// BaseURL publishes to an artifact server that already serves every file by
// digest at <base>/<sha256>.
type BaseURL string

// Publish returns <base>/<sha256>, hashing the file when sha256 is "".
func (b BaseURL) Publish(ctx context.Context, path, sum string) (string, error) {
	if sum == "" {
		var err error
		if sum, err = fileSHA256(ctx, path); err != nil {
			return "", err
		}
	}
	return strings.TrimRight(string(b), "/") + "/" + sum, nil
}

// fileSHA256 hashes a file.
func fileSHA256(ctx context.Context, path string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("artifact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("artifact %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ArtifactServer serves published files by digest: GET <prefix><sha256>.
// Mount it on an http.Server listening on an address the nodes reach (the
// test bed's bridge address 10.99.0.1, say); BaseURL is what the services
// are given.
type ArtifactServer struct {
	base   string
	prefix string
	log    *zap.Logger

	mu     sync.RWMutex
	files  map[string]string     // sha256 -> path
	hashes map[string]fileDigest // path -> digest of the version last seen
}

// fileDigest is a file's digest as of its size and modification time.
type fileDigest struct {
	size    int64
	modTime int64
	sha256  string
}

// NewArtifactServer serves under the path of baseURL (e.g.
// http://10.99.0.1:8700/artifacts serves /artifacts/<sha256>).
func NewArtifactServer(baseURL string, log *zap.Logger) (*ArtifactServer, error) {
	if log == nil {
		log = zap.NewNop()
	}
	base := strings.TrimRight(baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("artifact server: bad base URL %q (want http://HOST:PORT/PATH)", baseURL)
	}
	return &ArtifactServer{base: base, prefix: u.Path + "/", log: log, files: map[string]string{},
		hashes: map[string]fileDigest{}}, nil
}

// Publish registers path under its digest (checked, or computed when sum
// is "") and returns its URL.
func (s *ArtifactServer) Publish(ctx context.Context, path, sum string) (string, error) {
	got, err := s.digest(ctx, path)
	if err != nil {
		return "", err
	}
	if sum != "" && !strings.EqualFold(sum, got) {
		return "", fmt.Errorf("artifact %s: sha256 is %s, expected %s", path, got, sum)
	}
	s.mu.Lock()
	s.files[got] = path
	s.mu.Unlock()
	return s.base + "/" + got, nil
}

// digest hashes a file unless its size and mtime are those last hashed
// (partitions are large and published on every Apply).
func (s *ArtifactServer) digest(ctx context.Context, path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("artifact: %w", err)
	}
	s.mu.RLock()
	d, ok := s.hashes[path]
	s.mu.RUnlock()
	if ok && d.size == st.Size() && d.modTime == st.ModTime().UnixNano() {
		return d.sha256, nil
	}
	sum, err := fileSHA256(ctx, path)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.hashes[path] = fileDigest{size: st.Size(), modTime: st.ModTime().UnixNano(), sha256: sum}
	s.mu.Unlock()
	return sum, nil
}

// ServeHTTP serves GET and HEAD of published files.
func (s *ArtifactServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	sum, ok := strings.CutPrefix(req.URL.Path, s.prefix)
	if !ok || !sha256Hex.MatchString(sum) {
		http.NotFound(w, req)
		return
	}
	s.mu.RLock()
	path, ok := s.files[sum]
	s.mu.RUnlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		s.log.Warn("artifact unreadable", zap.String("path", path), zap.Error(err))
		http.Error(w, "artifact unreadable", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "artifact unreadable", http.StatusInternalServerError)
		return
	}
	s.log.Debug("serving artifact", zap.String("sha256", sum), zap.String("from", req.RemoteAddr))
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, req, "", st.ModTime(), f)
}
