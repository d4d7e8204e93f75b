package distributedmodel

import (
	"context"
	"testing"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
	"github.com/papdl/papdl/reconcilers/runtime"
)

func TestBenchChunkBudget(t *testing.T) {
	tests := []struct {
		name  string
		nodes []runtime.Node
		want  int64
	}{
		{"no nodes", nil, MaxBenchChunkBytes},
		{"big nodes", []runtime.Node{{MemoryBytes: 8 << 30}, {MemoryBytes: 16 << 30}}, MaxBenchChunkBytes},
		{"a 256 MiB node", []runtime.Node{{MemoryBytes: 8 << 30}, {MemoryBytes: 256 << 20}}, 32 << 20},
		{"unknown memory is ignored", []runtime.Node{{MemoryBytes: 0}, {MemoryBytes: 1 << 30}}, MaxBenchChunkBytes},
	}
	for _, tt := range tests {
		if got := BenchChunkBudget(tt.nodes); got != tt.want {
			t.Errorf("%s: budget %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWriteBenchPartitions(t *testing.T) {
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		budget     int64
		minChunks  int
		maxWeights int64 // per chunk of several weighted units
	}{
		{MaxBenchChunkBytes, 1, MaxBenchChunkBytes},
		{4 << 20, 3, 4 << 20},
	}
	for _, tt := range tests {
		man, err := WriteBenchPartitions(t.TempDir(), a, "sha", tt.budget)
		if err != nil {
			t.Fatal(err)
		}
		if len(man.Partitions) < tt.minChunks {
			t.Errorf("budget %d: %d chunks, want at least %d", tt.budget, len(man.Partitions), tt.minChunks)
		}
		next := 0
		for _, p := range man.Partitions {
			if p.Start != next {
				t.Errorf("budget %d: partition %d starts at unit %d, want %d", tt.budget, p.Index, p.Start, next)
			}
			next = p.End
			if p.WeightBytes > tt.maxWeights && p.End-p.Start > 1 {
				var weighted int
				for _, u := range man.Units[p.Start:p.End] {
					if u.WeightBytes > 0 {
						weighted++
					}
				}
				if weighted > 1 {
					t.Errorf("budget %d: partition %d holds %d bytes in %d weighted units", tt.budget, p.Index, p.WeightBytes, weighted)
				}
			}
		}
		if next != len(a.Units) || man.ModelSHA256 != "sha" {
			t.Errorf("budget %d: partitions end at unit %d of %d; model sha %q", tt.budget, next, len(a.Units), man.ModelSHA256)
		}
	}
}
