package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadSimulatedNodes: a nodes file decodes strictly and bounded; each
// problem names the file and the entry or field.
func TestLoadSimulatedNodes(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string // "" means success
		want    int    // nodes decoded
	}{
		{"two nodes", "- {name: edge1, cpus: 0.5, memory: 512Mi}\n- {name: edge2, cpus: 1, memory: 1Gi, labels: {zone: a}}\n", "", 2},
		{"unknown field", "- {name: edge1, cpus: 1, memory: 1Gi, mem: 2Gi}\n", "[0].mem", 0},
		{"mistyped", "- {name: edge1, cpus: many, memory: 1Gi}\n", "[0].cpus", 0},
		{"duplicate name", "- {name: edge1, cpus: 1, memory: 1Gi}\n- {name: edge1, cpus: 1, memory: 1Gi}\n", "taken", 0},
		{"the host's name", "- {name: local, cpus: 1, memory: 1Gi}\n", "taken", 0},
		{"no cpus", "- {name: edge1, memory: 1Gi}\n", "cpus must be positive", 0},
		{"bad memory", "- {name: edge1, cpus: 1, memory: lots}\n", "memory", 0},
		{"a name that climbs", "- {name: ../../../tmp/x, cpus: 1, memory: 1Gi}\n", "entry 0", 0},
		{"a name with a slash", "- {name: a/b, cpus: 1, memory: 1Gi}\n", "entry 0", 0},
		{"cpus not a number", "- {name: edge1, cpus: .nan, memory: 1Gi}\n", "NaN", 0},
		{"cpus huge", "- {name: edge1, cpus: 1e300, memory: 1Gi}\n", "cpus must be positive", 0},
		{"memory overflows", "- {name: edge1, cpus: 1, memory: 9223372036854775807Gi}\n", "overflows", 0},
		{"too large", "# " + strings.Repeat("x", maxNodesFileBytes) + "\n", "larger than", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nodes.yaml")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			nodes, err := LoadSimulatedNodes(path)
			if tc.wantErr == "" {
				if err != nil || len(nodes) != tc.want {
					t.Fatalf("LoadSimulatedNodes = %+v, %v; want %d nodes", nodes, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadSimulatedNodes error %v, want one naming %s and %q", err, path, tc.wantErr)
			}
		})
	}
}
