package swarm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
)

// TestPublishPartitionSet checks that the published manifest names every
// partition by its published URL and that the node side resolves them.
func TestPublishPartitionSet(t *testing.T) {
	ctx := context.Background()
	m, err := zoo.Generate("mnist", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	parts, err := a.Partition(a.ChunkCuts(1))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := slice.Write(dir, a, parts, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pub     Publisher
		wantErr string
	}{
		{"base URL", BaseURL("http://10.99.0.1:8700/artifacts"), ""},
		{"no such file", BaseURL("http://x"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runtime{cfg: Config{Artifacts: tt.pub}}
			path := filepath.Join(dir, slice.ManifestFile)
			if tt.wantErr != "" {
				path = filepath.Join(t.TempDir(), slice.ManifestFile)
			}
			u, sum, err := r.publishPartitionSet(ctx, path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, publishedManifest))
			if err != nil {
				t.Fatal(err)
			}
			got := sha256.Sum256(b)
			if hex.EncodeToString(got[:]) != sum || u != "http://10.99.0.1:8700/artifacts/"+sum {
				t.Errorf("published %s with digest %s; the file's digest is %x", u, sum, got)
			}
			var man slice.Manifest
			if err := json.Unmarshal(b, &man); err != nil {
				t.Fatal(err)
			}
			if len(man.Partitions) != len(orig.Partitions) || len(man.Units) != len(orig.Units) {
				t.Fatalf("published manifest has %d partitions and %d units, want %d and %d",
					len(man.Partitions), len(man.Units), len(orig.Partitions), len(orig.Units))
			}
			for i, p := range man.Partitions {
				if want := "http://10.99.0.1:8700/artifacts/" + orig.Partitions[i].SHA256; p.File != want {
					t.Errorf("partition %d file %s, want %s", i, p.File, want)
				}
			}
			// The node reads it as a manifest (format, dtypes).
			if _, err := chain.FetchManifest(ctx, nil, filepath.Join(dir, publishedManifest), sum); err != nil {
				t.Error(err)
			}
		})
	}
}
