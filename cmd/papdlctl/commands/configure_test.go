package commands

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/planner"
)

const sampleProfile = "../../../reconcilers/clusterprofile/testdata/cluster.json"

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var cmd = newConfigureCommand()
	if args[0] == "validate" {
		cmd = newValidateCommand()
	}
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args[1:])
	err := cmd.Execute()
	return out.String(), err
}

func TestConfigure(t *testing.T) {
	planPath := filepath.Join(t.TempDir(), "plan.json")
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"table", []string{"configure", sampleProfile, "vm0", "150528", "--plan-file", planPath},
			[]string{"PARTITION", "MEMORY NEEDED / AVAILABLE", "latency", "speedup vs source node vm0", "proven optimal"}, ""},
		{"throughput with constraints", []string{"configure", sampleProfile, "vm0", "150528", "--objective", "throughput",
			"--pin", "0:2=vm0", "--avoid", "conv5_3..fc8=vm2", "--headroom", "64Mi+5%"},
			[]string{"objective throughput", "0          [0,", "from vm0"}, ""},
		{"json", []string{"configure", sampleProfile, "id-vm0", "150528", "--format", "json"},
			[]string{`"kind": "PlacementPlan"`, `"partitions"`}, ""},
		{"default hop overhead", []string{"configure", sampleProfile, "vm0", "150528", "--format", "json"},
			[]string{`"hopOverheadSeconds": 0.0003`}, ""},
		{"hop overhead", []string{"configure", sampleProfile, "vm0", "150528", "--format", "json", "--hop-overhead", "0.001"},
			[]string{`"hopOverheadSeconds": 0.001`}, ""},
		{"bad hop overhead", []string{"configure", sampleProfile, "vm0", "150528", "--hop-overhead", "NaN"}, nil, "invalid hop overhead"},
		{"input size mismatch", []string{"configure", sampleProfile, "vm0", "784"}, nil, "differs from the 150528"},
		{"bad pin", []string{"configure", sampleProfile, "vm0", "150528", "--pin", "conv9=vm1"}, nil, `no unit named "conv9"`},
		{"unknown node", []string{"configure", sampleProfile, "vm9", "150528"}, nil, `source node "vm9"`},
		{"infeasible", []string{"configure", sampleProfile, "vm0", "150528", "--pin", "0:5=vm2", "--headroom", "690Mi"}, nil,
			"no feasible placement"},
		{"bad format", []string{"configure", sampleProfile, "vm0", "150528", "--format", "yaml"}, nil, "unsupported --format"},
		{"-o json", []string{"configure", sampleProfile, "vm0", "150528", "-o", "json"}, []string{`"kind": "PlacementPlan"`}, ""},
		{"-o yaml", []string{"configure", sampleProfile, "vm0", "150528", "-o", "yaml"}, []string{"kind: PlacementPlan", "partitions:"}, ""},
		{"-o jsonpath", []string{"configure", sampleProfile, "vm0", "150528", "-o", "jsonpath={.objective}"}, []string{"latency"}, ""},
		{"-o FILE is deprecated", []string{"configure", sampleProfile, "vm0", "150528", "-o", planPath + ".old"},
			[]string{"deprecated", "--plan-file", "PARTITION"}, ""},
		{"-o name is no plan format", []string{"configure", sampleProfile, "vm0", "150528", "-o", "name"}, nil, "-o name"},
		{"bad jsonpath", []string{"configure", sampleProfile, "vm0", "150528", "-o", "jsonpath={.a"}, nil, "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want …%s…", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if _, err := os.Stat(planPath + ".old"); err != nil {
		t.Errorf("-o FILE wrote no plan: %v", err)
	}
	data, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	var plan planner.Plan
	if err := json.Unmarshal(data, &plan); err != nil || len(plan.Partitions) == 0 || plan.Partitions[len(plan.Partitions)-1].End != plan.Units {
		t.Errorf("plan file %s: %v", data, err)
	}
}

func TestParseHeadroom(t *testing.T) {
	tests := []struct {
		in    string
		bytes int64
		pct   int32
		err   bool
	}{
		{"10%", 0, 10, false}, {"64Mi", 64 << 20, 0, false}, {"64Mi+5%", 64 << 20, 5, false},
		{"95%", 0, 0, true}, {"lots", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := parseHeadroom(tt.in)
			if (err != nil) != tt.err || !tt.err && (h.Bytes != tt.bytes || h.Percent != tt.pct) {
				t.Errorf("parseHeadroom(%q) = %+v, %v", tt.in, h, err)
			}
		})
	}
}
