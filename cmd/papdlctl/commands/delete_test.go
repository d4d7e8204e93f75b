package commands

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
)

// specDoc is a valid DistributedModel with labels.
func specDoc(name string, port int, labels string) string {
	return fmt.Sprintf(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s, labels: {%s}}
spec:
  model: {path: /m/a.onnx}
  sourceNode: {hostname: local}
  input: {shape: [1, 1, 28, 28]}
  gateway: {port: %d}
`, name, labels, port)
}

// applyDocs writes specs into a fresh specs directory.
func applyDocs(t *testing.T, docs ...string) string {
	t.Helper()
	specs := t.TempDir()
	for _, d := range docs {
		in, err := objects.Decode([]byte(d), "test.yaml", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := objects.Apply(specs, in); err != nil {
			t.Fatal(err)
		}
	}
	return specs
}

func TestDeleteSelector(t *testing.T) {
	for _, tc := range []struct {
		name     string
		selector string
		args     []string
		want     string // the specs left
		out      string
		bad      string
	}{
		{name: "selected", selector: "team=vision", want: "beta", out: "distributedmodel/alpha deleted"},
		{name: "-o name", selector: "team=audio", args: []string{"-o", "name"}, want: "alpha", out: "distributedmodel/beta\n"},
		{name: "none selected", selector: "team=none", want: "alpha,beta", out: "No resources found"},
		{name: "names and selector", selector: "team", args: []string{"alpha"}, want: "alpha,beta", bad: "not both"},
		{name: "bad selector", selector: "team in (", want: "alpha,beta", bad: "-l"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := applyDocs(t, specDoc("alpha", 21901, "team: vision"), specDoc("beta", 21902, "team: audio"))
			state := writeRecords(t,
				&distributedmodel.Record{Name: "alpha", Labels: map[string]string{"team": "vision"}},
				&distributedmodel.Record{Name: "beta", Labels: map[string]string{"team": "audio"}})
			root := NewRootCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append([]string{"delete", "--specs-dir", specs, "--state-dir", state, "-l", tc.selector}, tc.args...))
			err := root.ExecuteContext(context.Background())
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("got %v, want an error about %q", err, tc.bad)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf("output %q lacks %q", out.String(), tc.out)
			}
			names, err := distributedmodel.SpecNames(specs)
			if err != nil || strings.Join(names, ",") != tc.want {
				t.Fatalf("specs left: %v %v, want %s", names, err, tc.want)
			}
		})
	}
}
