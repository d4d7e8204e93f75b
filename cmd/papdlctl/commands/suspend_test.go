package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

func TestSuspendResumeReconcile(t *testing.T) {
	specs := applyDocs(t, specDoc("alpha", 21901, "team: vision"), specDoc("beta", 21902, "team: audio"))
	state := writeRecords(t,
		&distributedmodel.Record{Name: "alpha", Labels: map[string]string{"team": "vision"}},
		&distributedmodel.Record{Name: "beta", Labels: map[string]string{"team": "audio"}})
	spec := func(name string) string {
		data, err := os.ReadFile(filepath.Join(specs, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		out     string
		bad     string
		has     string
		hasNot  string
		checkOn string
	}{
		{name: "suspend", args: []string{"suspend", "alpha"}, out: "distributedmodel/alpha suspended", checkOn: "alpha", has: "suspend: true"},
		{name: "suspend again", args: []string{"suspend", "alpha"}, out: "already suspended"},
		{name: "suspend by label", args: []string{"suspend", "-l", "team=audio"}, out: "distributedmodel/beta suspended", checkOn: "beta", has: "suspend: true"},
		{name: "resume", args: []string{"resume", "alpha", "beta"}, out: "distributedmodel/beta resumed", checkOn: "alpha", hasNot: "suspend"},
		{name: "suspend unknown", args: []string{"suspend", "gamma"}, bad: "not declared"},
		{name: "reconcile without waiting", args: []string{"reconcile", "alpha", "--wait=false"}, out: "reconcile requested",
			checkOn: "alpha", has: v1alpha1.AnnotationReconcileRequestedAt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := NewRootCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append(tc.args, "--specs-dir", specs, "--state-dir", state))
			err := root.ExecuteContext(context.Background())
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("got %v, want an error about %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf("output %q lacks %q", out.String(), tc.out)
			}
			if tc.checkOn == "" {
				return
			}
			got := spec(tc.checkOn)
			if tc.has != "" && !strings.Contains(got, tc.has) {
				t.Fatalf("spec lacks %q:\n%s", tc.has, got)
			}
			if tc.hasNot != "" && strings.Contains(got, tc.hasNot) {
				t.Fatalf("spec has %q:\n%s", tc.hasNot, got)
			}
		})
	}
}

func TestReconcileWaits(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	handled := &distributedmodel.Record{Name: "alpha",
		Annotations: map[string]string{v1alpha1.AnnotationReconcileRequestedAt: at.Format(time.RFC3339Nano)}}
	handled.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: v1alpha1.ConditionTrue, Reason: "Serving"}}
	suspended := &distributedmodel.Record{Name: "alpha", Spec: &v1alpha1.DistributedModelSpec{Suspend: new(bool)}}
	*suspended.Spec.Suspend = true
	for _, tc := range []struct {
		name string
		rec  *distributedmodel.Record
		want string
		bad  string
	}{
		{"handled", handled, "reconciled: Ready=True Serving", ""},
		{"never handled", &distributedmodel.Record{Name: "alpha"}, "", "timed out"},
		{"suspended", suspended, "", "is suspended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := applyDocs(t, specDoc("alpha", 21901, ""))
			state := writeRecords(t, tc.rec)
			var out bytes.Buffer
			cmd := &cobra.Command{}
			cmd.SetOut(&out)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			cmd.SetContext(ctx)
			o := reconcileOptions{dirs: dirOptions{specsDir: specs, stateDir: state}, wait: true, now: func() time.Time { return at }}
			err := runReconcile(ctx, cmd, o, "alpha")
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("got %v, want an error about %q", err, tc.bad)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("got %v, output %q, want %q", err, out.String(), tc.want)
			}
		})
	}
}
