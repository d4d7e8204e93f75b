package apiserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/store"
)

// testAPI is a started server over temporary directories and a client for
// each of its configuration files.
type testAPI struct {
	specs, state string
	store        *store.Store
	run          *Running
	admin, ro    *Client
	adminCtx     Context
}

func startAPI(t *testing.T, dir string) *testAPI {
	t.Helper()
	a := &testAPI{specs: filepath.Join(dir, "specs"), state: filepath.Join(dir, "state")}
	if err := os.MkdirAll(a.specs, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if a.store, err = store.Open(a.state); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.run, err = Start(ctx, Options{Listen: "127.0.0.1:0", SpecsDir: a.specs, Store: a.store, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.run.Close() })
	for _, c := range []struct {
		file string
		dst  **Client
	}{{AdminConfigFile, &a.admin}, {ReadOnlyConfigFile, &a.ro}} {
		cfg, err := LoadConfig(filepath.Join(a.state, c.file))
		if err != nil {
			t.Fatal(err)
		}
		cx, err := cfg.Context("")
		if err != nil {
			t.Fatal(err)
		}
		if c.file == AdminConfigFile {
			a.adminCtx = cx
		}
		if *c.dst, err = NewClient(cx); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func specYAML(name string, port int) string {
	return fmt.Sprintf(`apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s}
spec:
  model: {path: /models/m.onnx}
  sourceNode: {hostname: local}
  input: {shape: [1, 1, 28, 28]}
  gateway: {port: %d}
`, name, port)
}

// raw sends a request with the given Authorization header value ("" for
// none) and returns the status code.
func (a *testAPI) raw(t *testing.T, method, path, auth, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, a.run.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := a.admin.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAuthentication(t *testing.T) {
	a := startAPI(t, t.TempDir())
	admin := "Bearer " + a.adminCtx.Token
	cfg, err := LoadConfig(filepath.Join(a.state, ReadOnlyConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	ro := "Bearer " + cfg.Contexts[0].Token
	item := ResourcePath + "/m1"
	for _, tc := range []struct {
		name, method, path, auth, body string
		want                           int
	}{
		{"no token", http.MethodGet, ResourcePath, "", "", http.StatusUnauthorized},
		{"wrong token", http.MethodGet, ResourcePath, "Bearer " + strings.Repeat("0", 64), "", http.StatusUnauthorized},
		{"admin token as basic auth", http.MethodGet, ResourcePath, "Basic " + a.adminCtx.Token, "", http.StatusUnauthorized},
		{"token prefix", http.MethodGet, ResourcePath, admin[:len(admin)-1], "", http.StatusUnauthorized},
		{"no token, write", http.MethodPut, item, "", specYAML("m1", 21901), http.StatusUnauthorized},
		{"admin lists", http.MethodGet, ResourcePath, admin, "", http.StatusOK},
		{"read-only lists", http.MethodGet, ResourcePath, ro, "", http.StatusOK},
		{"read-only version", http.MethodGet, "/version", ro, "", http.StatusOK},
		{"read-only apply", http.MethodPut, item, ro, specYAML("m1", 21901), http.StatusForbidden},
		{"read-only delete", http.MethodDelete, item, ro, "", http.StatusForbidden},
		{"admin apply", http.MethodPut, item, admin, specYAML("m1", 21901), http.StatusCreated},
		{"admin apply again", http.MethodPut, item, admin, specYAML("m1", 21901), http.StatusOK},
		{"admin delete", http.MethodDelete, item, admin, "", http.StatusOK},
		{"admin delete again", http.MethodDelete, item, admin, "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.raw(t, tc.method, tc.path, tc.auth, tc.body); got != tc.want {
				t.Fatalf("%s %s: got %d, want %d", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func TestApplyValidatesAndWritesTheSpecsDirectory(t *testing.T) {
	a := startAPI(t, t.TempDir())
	admin := "Bearer " + a.adminCtx.Token
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"not YAML", "/m1", "{{{", http.StatusUnprocessableEntity},
		{"invalid spec", "/m1", strings.Replace(specYAML("m1", 21901), "kind: DistributedModel", "kind: Other", 1), http.StatusUnprocessableEntity},
		{"name differs from the path", "/m2", specYAML("m1", 21901), http.StatusUnprocessableEntity},
		{"relative model path", "/m1", strings.Replace(specYAML("m1", 21901), "/models/m.onnx", "m.onnx", 1), http.StatusUnprocessableEntity},
		{"two documents", "/m1", specYAML("m1", 21901) + "---\n" + specYAML("m3", 21902), http.StatusUnprocessableEntity},
		{"invalid name", "/M_1", specYAML("m1", 21901), http.StatusUnprocessableEntity},
		{"too large", "/m1", specYAML("m1", 21901) + "#" + strings.Repeat("x", MaxRequestBytes), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.raw(t, http.MethodPut, ResourcePath+tc.path, admin, tc.body); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
			if entries, _ := os.ReadDir(a.specs); len(entries) != 0 {
				t.Fatalf("a refused apply wrote %d files into the specs directory", len(entries))
			}
		})
	}
	ctx := context.Background()
	in, err := objects.Decode([]byte(specYAML("m1", 21901)), "m1.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.admin.Apply(ctx, in)
	if err != nil || len(res) != 1 || res[0].Verb != "created" {
		t.Fatalf("apply: %v %v", res, err)
	}
	decls, err := distributedmodel.ScanSpecs(a.specs)
	if err != nil || len(decls["m1"]) != 1 || decls["m1"][0].Object == nil {
		t.Fatalf("the specs directory does not declare m1 validly: %v %v", decls, err)
	}
	// A second model on the same gateway port is refused, as papdlctl
	// apply refuses it.
	in2, err := objects.Decode([]byte(specYAML("m2", 21901)), "m2.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.Apply(ctx, in2); !errors.Is(err, objects.ErrInvalid) {
		t.Fatalf("a port conflict: got %v, want an invalid error", err)
	}
	if _, err := a.ro.Apply(ctx, in); err == nil {
		t.Fatal("the read-only token applied a spec")
	}
}

func TestStateFilesAreReusedAndPrivate(t *testing.T) {
	dir := t.TempDir()
	a := startAPI(t, dir)
	first := a.adminCtx
	_ = a.run.Close()
	b := startAPI(t, dir)
	if !bytes.Equal(first.CertificateAuthorityData, b.adminCtx.CertificateAuthorityData) || first.Token != b.adminCtx.Token {
		t.Fatal("a second start made a new CA or token: existing configuration files stop working")
	}
	for _, f := range []string{"api/ca.key", "api/server.key", "api/tokens.json", AdminConfigFile, ReadOnlyConfigFile} {
		st, err := os.Stat(filepath.Join(b.state, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if v, err := b.admin.Version(context.Background()); err != nil || v != "test" {
		t.Fatalf("version: %q %v", v, err)
	}
}

func TestTLSOnlyWithTheCA(t *testing.T) {
	a := startAPI(t, t.TempDir())
	// The system roots do not know the generated CA.
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}).Get(a.run.URL + "/version")
	if err == nil {
		resp.Body.Close()
		t.Fatal("a client without the CA connected")
	}
	// Plain HTTP is not served.
	plain := strings.Replace(a.run.URL, "https://", "http://", 1)
	if resp, err := http.Get(plain + "/version"); err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served the API")
		}
	}
}

func TestWatchSeesChanges(t *testing.T) {
	a := startAPI(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	write := func(ready v1alpha1.ConditionStatus) {
		rec := &distributedmodel.Record{Name: "m1", Generation: 1}
		rec.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: ready, ObservedGeneration: 1}}
		path, err := distributedmodel.RecordPath(a.store, "m1")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteJSON(path, rec); err != nil {
			t.Error(err)
		}
	}
	write(v1alpha1.ConditionFalse)
	var types []string
	err := a.ro.Watch(ctx, "", func(ev WatchEvent) bool {
		types = append(types, ev.Type)
		switch len(types) {
		case 1:
			write(v1alpha1.ConditionTrue)
		case 2:
			if err := a.store.DeleteModel("m1"); err != nil {
				t.Error(err)
			}
		}
		return len(types) < 3
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(types, ","); got != "ADDED,MODIFIED,DELETED" {
		t.Fatalf("watch events %s, want ADDED,MODIFIED,DELETED", got)
	}
}

func TestChanges(t *testing.T) {
	v := func(s string) []byte { return []byte(s) }
	for _, tc := range []struct {
		name          string
		seen, current map[string][]byte
		want          string
	}{
		{"nothing", nil, nil, ""},
		{"added in name order", nil, map[string][]byte{"b": v("b1"), "a": v("a1")}, "ADDED a1,ADDED b1"},
		{"unchanged", map[string][]byte{"a": v("a1")}, map[string][]byte{"a": v("a1")}, ""},
		{"modified and deleted", map[string][]byte{"a": v("a1"), "b": v("b1")}, map[string][]byte{"a": v("a2")}, "MODIFIED a2,DELETED b1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ev := range changes(tc.seen, tc.current) {
				got = append(got, ev.Type+" "+string(ev.Object))
			}
			if s := strings.Join(got, ","); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestMetricsReportModelConditions(t *testing.T) {
	a := startAPI(t, t.TempDir())
	rec := &distributedmodel.Record{Name: "m1", Generation: 3}
	rec.Status.ObservedGeneration = 3
	rec.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: v1alpha1.ConditionTrue}}
	path, err := distributedmodel.RecordPath(a.store, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteJSON(path, rec); err != nil {
		t.Fatal(err)
	}
	if code := a.raw(t, http.MethodGet, "/metrics", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without a token: %d, want 401", code)
	}
	req, err := http.NewRequest(http.MethodGet, a.run.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.ro.token)
	resp, err := a.ro.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`papdl_distributedmodel_condition{name="m1",status="true",type="Ready"} 1`,
		`papdl_distributedmodel_condition{name="m1",status="false",type="Ready"} 0`,
		`papdl_distributedmodel_generation{name="m1"} 3`,
		`papdl_distributedmodels 1`,
		`papdl_api_requests_total{code="401",method="get"} 1`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
