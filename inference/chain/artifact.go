package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// DefaultMaxArtifactBytes bounds a fetched manifest or partition (4 GiB).
const DefaultMaxArtifactBytes = 4 << 30

func isURL(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// Fetch reads an artifact from an http(s) URL (GET) or a local path,
// refusing more than maxBytes (0: DefaultMaxArtifactBytes).
func Fetch(ctx context.Context, client *http.Client, loc string, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxArtifactBytes
	}
	var r io.Reader
	var size int64 // the artifact's size when known, to read it in one allocation
	if isURL(loc) {
		if client == nil {
			client = http.DefaultClient
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", loc, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", loc, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch %s: HTTP %s", loc, resp.Status)
		}
		r, size = resp.Body, resp.ContentLength
	} else {
		f, err := os.Open(strings.TrimPrefix(loc, "file://"))
		if err != nil {
			return nil, fmt.Errorf("fetch: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		r = f
	}
	// io.ReadAll doubles its buffer as it goes, holding about twice a large
	// partition at the end: preallocate the known size (plus room for the
	// read that sees EOF) instead.
	var buf bytes.Buffer
	if size > 0 && size <= maxBytes {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, maxBytes+1)); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", loc, err)
	}
	b := buf.Bytes()
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("fetch %s: larger than the limit of %d bytes", loc, maxBytes)
	}
	return b, nil
}

// resolve finds ref (a file name from a manifest) next to the manifest at
// base, which may be a URL or a path.
func resolve(base, ref string) (string, error) {
	if isURL(ref) || filepath.IsAbs(ref) {
		return ref, nil
	}
	if isURL(base) {
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("manifest URL %s: %w", base, err)
		}
		u.Path = path.Join(path.Dir(u.Path), ref)
		return u.String(), nil
	}
	return filepath.Join(filepath.Dir(strings.TrimPrefix(base, "file://")), ref), nil
}

// FetchManifest reads a partition manifest (path or URL), checking its
// sha256 when wantSHA256 is set.
func FetchManifest(ctx context.Context, client *http.Client, loc, wantSHA256 string) (*slice.Manifest, error) {
	b, err := Fetch(ctx, client, loc, 64<<20)
	if err != nil {
		return nil, err
	}
	if wantSHA256 != "" {
		if err := slice.VerifySHA256(b, wantSHA256, "manifest "+loc); err != nil {
			return nil, err
		}
	}
	var m slice.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", loc, err)
	}
	if m.Format != slice.ManifestFormat {
		return nil, fmt.Errorf("manifest %s: format %q, want %q", loc, m.Format, slice.ManifestFormat)
	}
	m.SHA256 = slice.SHA256Hex(b)
	lists := [][]slice.Value{m.Inputs, m.Outputs}
	for _, p := range m.Partitions {
		lists = append(lists, p.Inputs, p.Outputs, p.Forward)
	}
	for _, vs := range lists {
		for i := range vs {
			dt, err := tensor.ParseDType(vs[i].Type)
			if err != nil {
				return nil, fmt.Errorf("manifest %s: tensor %q: %w", loc, vs[i].Name, err)
			}
			vs[i].DType = dt
		}
	}
	for i, p := range m.Partitions {
		if p.Index != i {
			return nil, fmt.Errorf("manifest %s: partition %d is listed at position %d", loc, p.Index, i)
		}
	}
	return &m, nil
}

// StageSource says where a partition server finds its partition.
type StageSource struct {
	// Manifest is the manifest's path or URL; it says what the partition
	// reads, writes and forwards.
	Manifest string
	// ManifestSHA256, optional, is the manifest's expected digest.
	ManifestSHA256 string
	// Index is the partition's index in the manifest.
	Index int
	// Partition, optional, overrides the partition file's location
	// (default: the manifest's file name next to the manifest).
	Partition string
	// SHA256 is the partition file's expected digest (default: the
	// manifest's); when both are set they must agree.
	SHA256 string
	// MaxBytes bounds the partition file (0: DefaultMaxArtifactBytes).
	MaxBytes int64
	Client   *http.Client
	// Cache, when set, keeps the partition file by digest: a cached copy
	// that verifies is used instead of fetching it.
	Cache *ArtifactCache
}

// fetchPartition decodes the partition of digest want: from the cache when
// it holds a copy that verifies, else fetched from loc (and then cached).
func fetchPartition(ctx context.Context, src StageSource, loc, want string) (*onnx.Model, error) {
	maxBytes := src.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxArtifactBytes
	}
	if src.Cache != nil {
		if data, ok := src.Cache.Get(want, maxBytes); ok {
			if m, err := slice.DecodeVerified(data, want, "cached "+want); err == nil {
				return m, nil
			}
			src.Cache.Drop(want)
		}
	}
	data, err := Fetch(ctx, src.Client, loc, src.MaxBytes)
	if err != nil {
		return nil, err
	}
	m, err := slice.DecodeVerified(data, want, loc)
	if err != nil {
		return nil, err
	}
	if src.Cache != nil {
		_ = src.Cache.Put(want, data) // a cache that cannot be written only costs the next fetch
	}
	return m, nil
}

// LoadStage fetches the manifest and the partition, verifies the
// partition's sha256 (refusing a mismatch) and compiles it.
func LoadStage(ctx context.Context, src StageSource) (slice.Stage, *slice.Manifest, error) {
	man, err := FetchManifest(ctx, src.Client, src.Manifest, src.ManifestSHA256)
	if err != nil {
		return slice.Stage{}, nil, err
	}
	if src.Index < 0 || src.Index >= len(man.Partitions) {
		return slice.Stage{}, nil, fmt.Errorf("partition %d: manifest %s has partitions 0..%d", src.Index, src.Manifest, len(man.Partitions)-1)
	}
	p := man.Partitions[src.Index]
	want := strings.ToLower(src.SHA256)
	if want == "" {
		want = p.SHA256
	} else if want != p.SHA256 {
		return slice.Stage{}, nil, fmt.Errorf("partition %d: expected sha256 %s but the manifest lists %s", p.Index, want, p.SHA256)
	}
	loc := src.Partition
	if loc == "" {
		if loc, err = resolve(src.Manifest, p.File); err != nil {
			return slice.Stage{}, nil, err
		}
	}
	m, err := fetchPartition(ctx, src, loc, want)
	if err != nil {
		return slice.Stage{}, nil, fmt.Errorf("partition %d: %w", p.Index, err)
	}
	// The file's bytes are dead (the decoder copies out of them): collect
	// them before compiling packs a second copy of the weights, so that a
	// node holds two copies of the weights at most while compiling, not
	// three. PackedOnly then drops the decoded copy of every weight that
	// a kernel keeps packed: once m is gone, the weights are held once.
	runtime.GC()
	prog, err := engine.Compile(m, engine.Options{PackedOnly: true})
	if err != nil {
		return slice.Stage{}, nil, fmt.Errorf("partition %d (%s): %w", p.Index, loc, err)
	}
	return slice.Stage{Partition: p, Program: prog}, man, nil
}
