package apiserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/store"
)

func TestPatch(t *testing.T) {
	a := startAPI(t, t.TempDir())
	ctx := context.Background()
	in, err := objects.Decode([]byte(specYAML("m1", 21901)), "m1.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.Apply(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, model, patch string
		verb               string
		err                error
	}{
		{"suspend", "m1", `{"spec":{"suspend":true}}`, "configured", nil},
		{"suspend again", "m1", `{"spec":{"suspend":true}}`, "unchanged", nil},
		{"resume", "m1", `{"spec":{"suspend":null}}`, "configured", nil},
		{"invalid", "m1", `{"spec":{"gateway":{"port":0.5}}}`, "", objects.ErrInvalid},
		{"not declared", "m9", `{}`, "", objects.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := a.admin.Patch(ctx, tc.model, []byte(tc.patch))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || res.Verb != tc.verb {
				t.Fatalf("got %v %v, want %s", res, err, tc.verb)
			}
		})
	}
	if code := a.raw(t, http.MethodPatch, ResourcePath+"/m1", "Bearer "+a.ro.token, `{}`); code != http.StatusForbidden {
		t.Fatalf("read-only patch: %d, want 403", code)
	}
}

func TestListSelectsByLabel(t *testing.T) {
	a := startAPI(t, t.TempDir())
	for name, l := range map[string]map[string]string{"a": {"team": "vision"}, "b": {"team": "audio"}, "c": nil} {
		path, err := distributedmodel.RecordPath(a.store, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteJSON(path, &distributedmodel.Record{Name: name, Labels: l}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ sel, want string }{
		{"", "a,b,c"},
		{"team=vision", "a"},
		{"team", "a,b"},
		{"team notin (vision)", "b,c"},
	} {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := labels.Parse(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			items, err := a.ro.List(context.Background(), sel)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, it := range items {
				names = append(names, it.Name)
			}
			if strings.Join(names, ",") != tc.want {
				t.Fatalf("selected %v, want %s", names, tc.want)
			}
		})
	}
	if code := a.raw(t, http.MethodGet, ResourcePath+"?labelSelector=a%20b", "Bearer "+a.ro.token, ""); code != http.StatusBadRequest {
		t.Fatalf("a bad selector: %d, want 400", code)
	}
}
