package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

// writeRecords puts records into a fresh state directory.
func writeRecords(t *testing.T, recs ...*distributedmodel.Record) string {
	t.Helper()
	state := t.TempDir()
	st, err := store.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		path, err := distributedmodel.RecordPath(st, r.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteJSON(path, r); err != nil {
			t.Fatal(err)
		}
	}
	return state
}

func TestGetSelectorsAndFormats(t *testing.T) {
	suspended := &distributedmodel.Record{Name: "gamma"}
	suspended.Status.Conditions = []v1alpha1.Condition{
		{Type: v1alpha1.ConditionReady, Status: v1alpha1.ConditionTrue, Reason: "Serving"},
		{Type: v1alpha1.ConditionReconciling, Status: v1alpha1.ConditionFalse, Reason: v1alpha1.ReasonSuspended},
	}
	state := writeRecords(t,
		&distributedmodel.Record{Name: "alpha", Labels: map[string]string{"team": "vision", "tier": "edge"}},
		&distributedmodel.Record{Name: "beta", Labels: map[string]string{"team": "audio"}},
		suspended)
	for _, tc := range []struct {
		name    string
		o       getOptions
		args    []string
		want    []string // substrings
		notWant []string
		bad     string
	}{
		{name: "name", o: getOptions{output: "name"}, want: []string{"distributedmodel/alpha\ndistributedmodel/beta\ndistributedmodel/gamma\n"}},
		{name: "selector", o: getOptions{output: "name", selector: "team=vision"}, want: []string{"distributedmodel/alpha\n"}, notWant: []string{"beta", "gamma"}},
		{name: "set selector", o: getOptions{output: "name", selector: "team in (vision,audio),tier notin (edge)"}, want: []string{"distributedmodel/beta"}, notWant: []string{"alpha", "gamma"}},
		{name: "yaml keeps labels", o: getOptions{output: "yaml"}, args: []string{"alpha"}, want: []string{"kind: DistributedModel\n", "labels:\n", "team: vision"}},
		{name: "jsonpath", o: getOptions{output: "jsonpath={.items[*].metadata.name}", selector: "team"}, want: []string{"alpha beta"}},
		{name: "show labels", o: getOptions{showLabels: true}, want: []string{"LABELS", "team=vision,tier=edge", "<none>"}},
		{name: "suspended status", want: []string{"gamma", "Suspended"}},
		{name: "bad selector", o: getOptions{selector: "team=a=b"}, want: nil, bad: "-l"},
		{name: "names and selector", o: getOptions{selector: "team"}, args: []string{"alpha"}, bad: "not both"},
		{name: "bad format", o: getOptions{output: "table"}, bad: "-o table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			cmd := &cobra.Command{}
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetContext(context.Background())
			tc.o.dirs.stateDir = state
			err := runGet(cmd, tc.o, tc.args)
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("got %v, want an error about %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func recordNamed(name string) *distributedmodel.Record { return &distributedmodel.Record{Name: name} }
