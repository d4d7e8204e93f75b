package objects

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

func TestPatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		patch string
		verb  string
		err   error
		check func(t *testing.T, doc string)
	}{
		{name: "suspend", patch: `{"spec":{"suspend":true}}`, verb: "configured",
			check: func(t *testing.T, doc string) { want(t, doc, "suspend: true") }},
		{name: "annotation", patch: `{"metadata":{"annotations":{"papdl.io/reconcile-requested-at":"now"}}}`, verb: "configured",
			check: func(t *testing.T, doc string) { want(t, doc, "papdl.io/reconcile-requested-at: now", "port: 21900") }},
		{name: "a no-op", patch: `{"spec":{"gateway":{"port":21900}}}`, verb: "unchanged"},
		{name: "remove a field", patch: `{"spec":{"gateway":null}}`, verb: "configured",
			check: func(t *testing.T, doc string) {
				if strings.Contains(doc, "gateway") {
					t.Fatalf("gateway kept:\n%s", doc)
				}
			}},
		{name: "invalid result", patch: `{"spec":{"gateway":{"port":-1}}}`, err: ErrInvalid},
		{name: "unknown field", patch: `{"spec":{"suspended":true}}`, err: ErrInvalid},
		{name: "rename", patch: `{"metadata":{"name":"other"}}`, err: ErrInvalid},
		{name: "not an object", patch: `[1]`, err: ErrInvalid},
		{name: "not JSON", patch: `{`, err: ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := t.TempDir()
			if _, err := Apply(specs, mustDecode(t, specYAML("m1", "/m/a.onnx", 21900), "")); err != nil {
				t.Fatal(err)
			}
			res, err := Patch(specs, "m1", []byte(tc.patch))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || res.Verb != tc.verb {
				t.Fatalf("got %v %v, want %s", res, err, tc.verb)
			}
			data, err := os.ReadFile(filepath.Join(specs, "m1.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, string(data))
			}
		})
	}
	t.Run("not declared", func(t *testing.T) {
		if _, err := Patch(t.TempDir(), "m1", []byte(`{}`)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
	t.Run("relative model path kept working", func(t *testing.T) {
		specs := t.TempDir()
		if err := os.WriteFile(filepath.Join(specs, "m1.yaml"), []byte(specYAML("m1", "a.onnx", 21900)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Patch(specs, "m1", []byte(`{"spec":{"suspend":true}}`)); err != nil {
			t.Fatal(err)
		}
		decls, err := distributedmodel.ScanSpecs(specs)
		if err != nil || decls["m1"][0].Object.Spec.Model.Path != filepath.Join(specs, "a.onnx") {
			t.Fatalf("model path after the patch: %v %v", decls["m1"], err)
		}
	})
}

func want(t *testing.T, doc string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(doc, s) {
			t.Fatalf("document lacks %q:\n%s", s, doc)
		}
	}
}
