package objects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

func specYAML(name, model string, port int) string {
	return fmt.Sprintf(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s}
spec:
  model: {path: %s}
  sourceNode: {hostname: local}
  input: {shape: [1, 1, 28, 28]}
  gateway: {port: %d}
`, name, model, port)
}

func mustDecode(t *testing.T, doc, base string) []Input {
	t.Helper()
	in, err := Decode([]byte(doc), "test.yaml", base)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestDecodeModelPaths(t *testing.T) {
	for _, tc := range []struct {
		name, model, base string
		want              string // the path written; "" when refused
	}{
		{"absolute kept", "/m/a.onnx", "", "/m/a.onnx"},
		{"relative resolved against the file", "a.onnx", "/specs", "/specs/a.onnx"},
		{"relative refused without a base", "a.onnx", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Decode([]byte(specYAML("m1", tc.model, 21900)), "test.yaml", tc.base)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want an invalid error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(in[0].Doc), "path: "+tc.want) {
				t.Fatalf("document written:\n%s\nwant path %s", in[0].Doc, tc.want)
			}
		})
	}
}

func TestApplyAndDelete(t *testing.T) {
	specs := t.TempDir()
	m1 := mustDecode(t, specYAML("m1", "/m/a.onnx", 21900), "")
	for _, want := range []string{"created", "unchanged"} {
		res, err := Apply(specs, m1)
		if err != nil || len(res) != 1 || res[0].Verb != want {
			t.Fatalf("apply: got %v %v, want %s", res, err, want)
		}
	}
	res, err := Apply(specs, mustDecode(t, specYAML("m1", "/m/b.onnx", 21900), ""))
	if err != nil || res[0].Verb != "configured" {
		t.Fatalf("apply a change: %v %v", res, err)
	}
	if _, err := Apply(specs, mustDecode(t, specYAML("m2", "/m/b.onnx", 21900), "")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a second model on the same port: got %v, want an invalid error", err)
	}
	// A model declared in a multi-document file is deleted from it alone.
	both := specYAML("m3", "/m/a.onnx", 21901) + "---\n" + specYAML("m4", "/m/a.onnx", 21902)
	if err := os.WriteFile(filepath.Join(specs, "both.yaml"), []byte(both), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(specs, mustDecode(t, specYAML("m3", "/m/c.onnx", 21901), "")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("applying a model of a multi-document file: got %v, want an invalid error", err)
	}
	if err := Delete(specs, "m3"); err != nil {
		t.Fatal(err)
	}
	names, err := distributedmodel.SpecNames(specs)
	if err != nil || strings.Join(names, ",") != "m1,m4" {
		t.Fatalf("after deleting m3: %v %v, want m1,m4", names, err)
	}
	if err := Delete(specs, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(specs, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: got %v, want not found", err)
	}
	if _, err := os.Stat(filepath.Join(specs, "m1.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("m1.yaml remains: %v", err)
	}
}

func TestWaitForCheck(t *testing.T) {
	rec := func(gen, observed int64, ready v1alpha1.ConditionStatus, hash string) *distributedmodel.Record {
		r := &distributedmodel.Record{Name: "m", Generation: gen, SpecHash: hash}
		r.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: ready, ObservedGeneration: observed}}
		return r
	}
	stalled := rec(1, 1, v1alpha1.ConditionFalse, "h")
	stalled.Status.Conditions = append(stalled.Status.Conditions, v1alpha1.Condition{Type: v1alpha1.ConditionStalled, Status: v1alpha1.ConditionTrue, Reason: "InvalidSpec"})
	ready := WaitFor{Condition: v1alpha1.ConditionReady}
	for _, tc := range []struct {
		name    string
		for_    WaitFor
		obs     Observation
		done    bool
		wantErr bool
	}{
		{"ready for the current spec", ready, Observation{Record: rec(2, 2, "True", "h"), Declared: true, SpecHash: "h", SpecsReadable: true}, true, false},
		{"ready for an older generation", ready, Observation{Record: rec(2, 1, "True", "h"), Declared: true, SpecHash: "h", SpecsReadable: true}, false, false},
		{"spec not observed yet", ready, Observation{Record: rec(1, 1, "True", "old"), Declared: true, SpecHash: "new", SpecsReadable: true}, false, false},
		{"not ready", ready, Observation{Record: rec(1, 1, "False", "h"), Declared: true, SpecHash: "h", SpecsReadable: true}, false, false},
		{"stalled", ready, Observation{Record: stalled, Declared: true, SpecHash: "h", SpecsReadable: true}, false, true},
		{"declared, no state yet", ready, Observation{Declared: true, SpecsReadable: true}, false, false},
		{"neither declared nor known", ready, Observation{SpecsReadable: true}, false, true},
		{"specs unreadable", ready, Observation{}, false, false},
		{"deleted", WaitFor{}, Observation{SpecsReadable: true}, true, false},
		{"not deleted yet", WaitFor{}, Observation{Record: rec(1, 1, "True", "h")}, false, false},
		{"record unreadable is not deleted", WaitFor{}, Observation{RecordError: "corrupt"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done, msg, err := tc.for_.Check("m", tc.obs)
			if done != tc.done || (err != nil) != tc.wantErr {
				t.Fatalf("got done=%v err=%v (%s), want done=%v error=%v", done, err, msg, tc.done, tc.wantErr)
			}
		})
	}
}

func TestParseWaitFor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want WaitFor
		bad  bool
	}{
		{"condition=Ready", WaitFor{Condition: v1alpha1.ConditionReady}, false},
		{"delete", WaitFor{}, false},
		{"condition=", WaitFor{}, true},
		{"Ready", WaitFor{}, true},
	} {
		got, err := ParseWaitFor(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseWaitFor(%q) = %v, %v", tc.in, got, err)
		}
	}
}
