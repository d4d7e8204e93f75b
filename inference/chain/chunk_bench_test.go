package chain_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
)

// TestMeasurePartitionsCoversUnits checks that a chunked benchmark reports
// exactly the units of the whole model's analysis, with their names, ops
// and sizes, for several chunk budgets.
func TestMeasurePartitionsCoversUnits(t *testing.T) {
	tests := []struct {
		model   string
		budgets []int64
		slow    bool
	}{
		{"resnet18", []int64{0, 1, 4 << 20, 16 << 20}, false},
		{"vgg16", []int64{1, 64 << 20, 256 << 20}, true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			if tt.slow && testing.Short() {
				t.Skip("-short: a 553 MB model")
			}
			ctx := context.Background()
			m, err := zoo.Generate(tt.model, zoo.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			a, err := slice.Analyze(ctx, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			var whole *profile.Profile
			if !tt.slow {
				if whole, err = profile.Measure(ctx, a, profile.Options{Warmup: 1, Repeats: 1}); err != nil {
					t.Fatal(err)
				}
			}
			for _, budget := range tt.budgets {
				dir := t.TempDir()
				parts, err := a.Partition(a.ChunkCuts(budget))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := slice.Write(dir, a, parts, ""); err != nil {
					t.Fatal(err)
				}
				p, man, err := chain.MeasurePartitions(ctx, chain.PartitionSet{Manifest: filepath.Join(dir, slice.ManifestFile)},
					profile.Options{Warmup: 1, Repeats: 2})
				if err != nil {
					t.Fatalf("budget %d: %v", budget, err)
				}
				if len(man.Partitions) != len(parts) {
					t.Errorf("budget %d: manifest has %d partitions, want %d", budget, len(man.Partitions), len(parts))
				}
				if len(p.Units) != len(a.Units) {
					t.Fatalf("budget %d (%d chunks): %d units, the analysis has %d", budget, len(parts), len(p.Units), len(a.Units))
				}
				if p.Model != a.Model.Graph.Name {
					t.Errorf("budget %d: model %q, want %q", budget, p.Model, a.Model.Graph.Name)
				}
				if p.TotalSeconds.Median <= 0 {
					t.Errorf("budget %d: total %v", budget, p.TotalSeconds)
				}
				for i, u := range p.Units {
					au := a.Units[i]
					if u.Index != au.Index || u.Name != au.Name || !slices.Equal(u.Ops, au.OpTypes()) ||
						u.WeightBytes != au.WeightBytes || u.OutputBytes != au.OutputBytes {
						t.Errorf("budget %d: unit %d is %d %q %v w=%d o=%d, want %d %q %v w=%d o=%d", budget, i,
							u.Index, u.Name, u.Ops, u.WeightBytes, u.OutputBytes,
							au.Index, au.Name, au.OpTypes(), au.WeightBytes, au.OutputBytes)
					}
					if u.Seconds.Median <= 0 {
						t.Errorf("budget %d: unit %d (%s) measured %v", budget, i, u.Name, u.Seconds)
					}
					if u.PeakWorkingBytes <= 0 {
						t.Errorf("budget %d: unit %d (%s) has no working bytes", budget, i, u.Name)
					}
					if whole != nil && u.PeakWorkingBytes != whole.Units[i].PeakWorkingBytes {
						t.Errorf("budget %d: unit %d (%s) peak working bytes %d, the whole model's %d", budget, i, u.Name,
							u.PeakWorkingBytes, whole.Units[i].PeakWorkingBytes)
					}
				}
			}
		})
	}
}

func TestMeasurePartitionsRefuses(t *testing.T) {
	ctx := context.Background()
	m, err := zoo.Generate("mnist", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, edit func(dir string, man *slice.Manifest)) string {
		dir := t.TempDir()
		parts, err := a.Partition(a.ChunkCuts(1))
		if err != nil {
			t.Fatal(err)
		}
		man, err := slice.Write(dir, a, parts, "")
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(dir, man)
			js, err := json.Marshal(man)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, slice.ManifestFile), js, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, slice.ManifestFile)
	}
	tests := []struct {
		name    string
		edit    func(dir string, man *slice.Manifest)
		sha     string
		wantErr string // "" means success
	}{
		{"intact", nil, "", ""},
		{"manifest digest", nil, strings.Repeat("0", 64), "sha256"},
		{"old manifest without unit tensors", func(_ string, man *slice.Manifest) {
			for i := range man.Units {
				man.Units[i].Tensors = nil
			}
		}, "", "lists no tensors"},
		{"gap between partitions", func(_ string, man *slice.Manifest) {
			man.Partitions = append(man.Partitions[:1], man.Partitions[2:]...)
			for i := range man.Partitions {
				man.Partitions[i].Index = i
			}
		}, "", "expected to start at unit"},
		{"tampered partition", func(dir string, man *slice.Manifest) {
			path := filepath.Join(dir, man.Partitions[1].File)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 1
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "", "benchmark partition 1"},
		{"unit tensors of another unit", func(_ string, man *slice.Manifest) {
			man.Units[0].Tensors, man.Units[len(man.Units)-1].Tensors = man.Units[len(man.Units)-1].Tensors, man.Units[0].Tensors
		}, "", "outside the partition's units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.edit)
			p, _, err := chain.MeasurePartitions(ctx, chain.PartitionSet{Manifest: path, ManifestSHA256: tt.sha},
				profile.Options{Warmup: 1, Repeats: 1})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Units) != len(a.Units) {
					t.Errorf("%d units, want %d", len(p.Units), len(a.Units))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
