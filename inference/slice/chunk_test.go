package slice_test

import (
	"context"
	"slices"
	"testing"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
)

func TestChunkCuts(t *testing.T) {
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var heaviest, total int64
	for _, u := range a.Units {
		heaviest = max(heaviest, u.WeightBytes)
		total += u.WeightBytes
	}
	tests := []struct {
		name   string
		budget int64
		// wantChunks, when > 0, is the exact number of chunks.
		wantChunks int
	}{
		{"no budget: one chunk", 0, 1},
		{"everything fits", total, 1},
		{"one byte: every weighted unit alone", 1, 0},
		{"below the heaviest unit", heaviest / 2, 0},
		{"the heaviest unit", heaviest, 0},
		{"a quarter", total / 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cuts := a.ChunkCuts(tt.budget)
			if tt.wantChunks > 0 && len(cuts)+1 != tt.wantChunks {
				t.Fatalf("%d chunks (cuts %v), want %d", len(cuts)+1, cuts, tt.wantChunks)
			}
			parts, err := a.Partition(cuts)
			if err != nil {
				t.Fatalf("cuts %v: %v", cuts, err)
			}
			for i, p := range parts {
				var w int64
				weighted := 0
				for u := p.Start; u < p.End; u++ {
					w += a.Units[u].WeightBytes
					if a.Units[u].WeightBytes > 0 {
						weighted++
					}
				}
				// Only a unit heavier than the budget (with weightless
				// units around it) may exceed it.
				if tt.budget > 0 && w > tt.budget && weighted > 1 {
					t.Errorf("chunk %d (units %d..%d) holds %d bytes of weights in %d units, over the budget %d",
						i, p.Start, p.End-1, w, weighted, tt.budget)
				}
				// Greedy: the next unit would not have fitted.
				if tt.budget > 0 && i+1 < len(parts) && w > 0 && w+a.Units[p.End].WeightBytes <= tt.budget {
					t.Errorf("chunk %d ends before unit %d, which fits (%d+%d <= %d)", i, p.End, w, a.Units[p.End].WeightBytes, tt.budget)
				}
			}
			if tt.budget == 1 && len(parts) < 10 {
				t.Errorf("a 1-byte budget gave only %d chunks", len(parts))
			}
		})
	}
}

func TestManifestUnitTensors(t *testing.T) {
	a, err := slice.Analyze(context.Background(), residualModel(), nil)
	if err != nil {
		t.Fatal(err)
	}
	man := slice.NewManifest(a, "")
	of := man.UnitOfTensor()
	for _, u := range a.Units {
		var want []string
		for _, n := range u.Nodes {
			want = append(want, n.Outputs...)
		}
		if got := man.Units[u.Index].Tensors; !slices.Equal(got, want) {
			t.Errorf("unit %d lists tensors %v, want %v", u.Index, got, want)
		}
		for _, name := range want {
			if of[name] != u.Index {
				t.Errorf("tensor %s maps to unit %d, want %d", name, of[name], u.Index)
			}
		}
	}
}
