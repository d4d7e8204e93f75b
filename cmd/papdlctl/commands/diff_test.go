package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

func TestReportDiffs(t *testing.T) {
	same := &distributedmodel.Diff{Name: "a"}
	changed := &distributedmodel.Diff{Name: "b", SpecChanged: true, Replace: true, ReplaceReason: "pins changed"}
	for _, tc := range []struct {
		name   string
		output string
		diffs  []*distributedmodel.Diff
		want   string
		code   int
	}{
		{"table, nothing changes", "", []*distributedmodel.Diff{same}, "distributedmodel/a:", 0},
		{"table, something changes", "", []*distributedmodel.Diff{same, changed}, "yes: pins changed", 1},
		{"one as json", "json", []*distributedmodel.Diff{changed}, `"ReplaceReason": "pins changed"`, 1},
		{"several as a yaml list", "yaml", []*distributedmodel.Diff{same, changed}, "- Name: a", 1},
		{"jsonpath", "jsonpath={.Replace}", []*distributedmodel.Diff{changed}, "true", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := parseOutput(tc.output, diffOutputs()...)
			if err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			code := 0
			if err := reportDiffs(&w, out, tc.diffs); err != nil {
				code, _ = ExitCode(err)
			}
			if code != tc.code || !strings.Contains(w.String(), tc.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit %d and %q", code, w.String(), tc.code, tc.want)
			}
		})
	}
}
