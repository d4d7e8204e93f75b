package commands

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
)

func TestParseOutput(t *testing.T) {
	all := []string{outputWide, outputName, outputJSON, outputYAML, outputJSONPath}
	for _, tc := range []struct {
		in      string
		allowed []string
		want    string
		bad     bool
	}{
		{"", all, "", false},
		{"wide", all, outputWide, false},
		{"name", all, outputName, false},
		{"jsonpath={.metadata.name}", all, outputJSONPath, false},
		{"jsonpath", all, "", true},
		{"json=x", all, "", true},
		{"jsonpath={.a", all, "", true},
		{"wide", []string{outputJSON}, "", true},
		{"table", all, "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			o, err := parseOutput(tc.in, tc.allowed...)
			if (err != nil) != tc.bad || o.format != tc.want {
				t.Fatalf("parseOutput(%q) = %q, %v", tc.in, o.format, err)
			}
		})
	}
}

func TestPrintObjects(t *testing.T) {
	obj := func(name string, labels map[string]string) *v1alpha1.DistributedModel {
		return &v1alpha1.DistributedModel{TypeMeta: v1alpha1.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindDistributedModel},
			ObjectMeta: v1alpha1.ObjectMeta{Name: name, Labels: labels}}
	}
	two := []*v1alpha1.DistributedModel{obj("a", map[string]string{"team": "vision"}), obj("b", nil)}
	for _, tc := range []struct {
		name, output string
		objs         []*v1alpha1.DistributedModel
		single       bool
		want         []string // substrings, in order
	}{
		{"name", "name", two, false, []string{"distributedmodel/a\ndistributedmodel/b\n"}},
		{"yaml list keeps labels", "yaml", two, false, []string{"labels:", "team: vision", "name: b", "kind: DistributedModelList"}},
		{"yaml one object", "yaml", two[:1], true, []string{"kind: DistributedModel\n", "labels:", "team: vision"}},
		{"json list", "json", two, false, []string{`"kind": "DistributedModelList"`, `"team": "vision"`}},
		{"json empty list", "json", nil, false, []string{`"items": []`}},
		{"jsonpath", "jsonpath={range .items[*]}{.metadata.name}:{.metadata.labels.team};{end}", two, false, []string{"a:vision;b:;"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOutput(tc.output, outputName, outputJSON, outputYAML, outputJSONPath)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			if err := o.printObjects(&sb, tc.objs, tc.single); err != nil {
				t.Fatal(err)
			}
			got, rest := sb.String(), sb.String()
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
