package clusterprofile

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func loadSample(t *testing.T) *ClusterProfile {
	t.Helper()
	p, err := LoadFile("testdata/cluster.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSample(t *testing.T) {
	p := loadSample(t)
	if len(p.Nodes) != 3 || len(p.Model.Units) != 5 || len(p.Links) != 6 {
		t.Fatalf("unexpected sample shape: %d nodes, %d units, %d links", len(p.Nodes), len(p.Model.Units), len(p.Links))
	}
	if p.NodeIndex("vm1") != 1 || p.NodeIndex("id-vm2") != 2 || p.NodeIndex("nope") != -1 {
		t.Error("NodeIndex by hostname or ID")
	}
	if l := p.Link(0, 2); l == nil || l.To != "id-vm2" {
		t.Error("Link lookup")
	}
	out := filepath.Join(t.TempDir(), "p.json")
	if err := WriteFile(out, p); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(out); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		want   []string
	}{
		{"milliseconds", func(m map[string]any) { m["units"].(map[string]any)["time"] = "milliseconds" },
			[]string{`units.time: Unsupported value: "milliseconds"`}},
		{"unknown field", func(m map[string]any) { node(m, 0)["ram"] = 1 }, []string{"nodes[0].ram: Unknown field"}},
		{"string for number", func(m map[string]any) { unit(m, 1, 2)["seconds"] = "2ms" }, []string{"nodes[1].units[2].seconds: Invalid type"}},
		{"negative and missing", func(m map[string]any) {
			unit(m, 0, 0)["seconds"] = -1
			m["links"] = m["links"].([]any)[1:]
			node(m, 2)["freeMemoryBytes"] = 2 << 30
		}, []string{"nodes[0].units[0].seconds", "links: Required value: no measurement from id-vm0 to id-vm1",
			"nodes[2].freeMemoryBytes"}},
		{"misaligned measurements", func(m map[string]any) {
			n := node(m, 1)
			n["units"] = n["units"].([]any)[1:]
			unit(m, 0, 1)["name"] = "pool2"
		}, []string{"nodes[1].units: Invalid value: 4", `nodes[0].units[1].name: Invalid value: "pool2"`}},
		{"last cut is the output", func(m map[string]any) {
			units := m["model"].(map[string]any)["units"].([]any)
			units[len(units)-1].(map[string]any)["cutBytes"] = 1
		}, []string{"model.units[4].cutBytes"}},
		{"negative hop overhead", func(m map[string]any) { m["hopOverheadSeconds"] = -0.001 },
			[]string{"hopOverheadSeconds: Invalid value: -0.001"}},
		{"hop overhead as a string", func(m map[string]any) { m["hopOverheadSeconds"] = "0.3ms" },
			[]string{"hopOverheadSeconds: Invalid type"}},
		{"zero bandwidth", func(m map[string]any) { m["links"].([]any)[0].(map[string]any)["bandwidthBytesPerSecond"] = 0 },
			[]string{"links[0].bandwidthBytesPerSecond"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(loadSample(t))
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			data, _ := json.Marshal(m)
			_, err := Decode(data)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestHopOverhead(t *testing.T) {
	tests := []struct {
		name string
		set  any // nil: field absent
		want float64
	}{
		{"absent: the default", nil, DefaultHopOverheadSeconds},
		{"zero is kept", 0, 0},
		{"measured", 0.00045, 0.00045},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(loadSample(t))
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if _, ok := m["hopOverheadSeconds"]; ok {
				t.Fatal("the sample profile sets hopOverheadSeconds; it should exercise the default")
			}
			if tt.set != nil {
				m["hopOverheadSeconds"] = tt.set
			}
			data, _ := json.Marshal(m)
			p, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.HopOverhead(); got != tt.want {
				t.Errorf("HopOverhead() = %v, want %v", got, tt.want)
			}
			out := filepath.Join(t.TempDir(), "p.json")
			if err := WriteFile(out, p); err != nil {
				t.Fatal(err)
			}
			back, err := LoadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if (back.HopOverheadSeconds == nil) != (tt.set == nil) || back.HopOverhead() != tt.want {
				t.Errorf("round trip: %v, want %v (set: %v)", back.HopOverheadSeconds, tt.want, tt.set != nil)
			}
		})
	}
}

func node(m map[string]any, i int) map[string]any {
	return m["nodes"].([]any)[i].(map[string]any)
}

func unit(m map[string]any, n, u int) map[string]any {
	return node(m, n)["units"].([]any)[u].(map[string]any)
}
