package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/apiserver"
)

// remote runs papdlctl in a directory of its own that holds only a papdl
// config, as ~/.papdl/config (HOME points there), with no directory
// variables: every verb must go through the controller's API.
type remote struct {
	t   *testing.T
	dir string
}

func newRemote(t *testing.T, configFile string) *remote {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".papdl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".papdl", "config"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &remote{t: t, dir: dir}
}

// ctl runs papdlctl there with stdin and returns its combined output.
func (r *remote) ctl(stdin string, args ...string) (string, error) {
	out, err := r.command(stdin, args...).CombinedOutput()
	return string(out), err
}

// command is papdlctl with args, run there.
func (r *remote) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(fixture.bin.Ctl, args...)
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(stdin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PAPDL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+r.dir)
	return cmd
}

// start runs papdlctl there in the background, its output going to file.
func (r *remote) start(file string, args ...string) *exec.Cmd {
	r.t.Helper()
	f, err := os.Create(file)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { f.Close() })
	cmd := r.command("", args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd
}

func (r *remote) mustCtl(stdin string, args ...string) string {
	r.t.Helper()
	out, err := r.ctl(stdin, args...)
	if err != nil {
		r.t.Fatalf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// 12. The controller's API: from a directory holding only the config file
// the controller wrote, apply, wait, get, describe, predict and delete
// work; a request without the token is refused with 401, the read-only
// token may not delete, and a watch sees the model become Ready.
func TestRemoteWorkflowThroughTheAPI(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.StartController("--runtime", "local", "--nodes", c.nodesFile, "--api-listen", "127.0.0.1:0")
	adminFile := filepath.Join(c.State, apiserver.AdminConfigFile)
	eventually(t, shortTimeout, "the controller writes "+adminFile, func() (bool, string) {
		_, err := os.Stat(adminFile)
		return err == nil, "absent"
	})
	admin := newRemote(t, adminFile)
	reader := newRemote(t, filepath.Join(c.State, apiserver.ReadOnlyConfigFile))

	// A watch, through the read-only token, from before the model exists.
	cfg, err := apiserver.LoadConfig(filepath.Join(c.State, apiserver.ReadOnlyConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cx, err := cfg.Context("")
	if err != nil {
		t.Fatal(err)
	}
	client, err := apiserver.NewClient(cx)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sawReady atomic.Bool
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- client.Watch(ctx, "", func(ev apiserver.WatchEvent) bool {
			var obj v1alpha1.DistributedModel
			if json.Unmarshal(ev.Object, &obj) == nil && obj.Name == "mnist" && ev.Type != apiserver.WatchDeleted {
				if c := v1alpha1.FindCondition(obj.Status.Conditions, v1alpha1.ConditionReady); c != nil && c.Status == v1alpha1.ConditionTrue {
					sawReady.Store(true)
					return false
				}
			}
			return true
		})
	}()

	// `get -w` through the API, from before the model exists.
	watchOut := filepath.Join(t.TempDir(), "get-w.out")
	getW := admin.start(watchOut, "get", "-w")
	defer func() { _ = getW.Process.Kill(); _ = getW.Wait() }()

	s := spec{name: "mnist", model: fixture.modelA, port: freePort(t)}
	if out := admin.mustCtl(s.yaml(), "apply", "-f", "-"); !strings.Contains(out, "distributedmodel/mnist created") {
		t.Fatalf("apply printed %q", out)
	}
	if _, err := os.Stat(filepath.Join(c.Specs, "mnist.yaml")); err != nil {
		t.Fatalf("the API apply did not write the specs directory: %v", err)
	}
	admin.mustCtl("", "wait", "--for", "condition=Ready", "mnist", "--timeout", "2m")
	if out := admin.mustCtl("", "get"); !strings.Contains(out, "mnist") || !strings.Contains(out, "True") {
		t.Fatalf("get printed %q", out)
	}
	var obj v1alpha1.DistributedModel
	if err := json.Unmarshal([]byte(reader.mustCtl("", "get", "mnist", "-o", "json")), &obj); err != nil || obj.Spec.Gateway.Port == nil || *obj.Spec.Gateway.Port != int32(s.port) {
		t.Fatalf("get -o json through the read-only token: %v, gateway %+v", err, obj.Spec.Gateway)
	}
	if out := admin.mustCtl("", "describe", "mnist"); !strings.Contains(out, "Placement:") || !strings.Contains(out, "Events:") {
		t.Fatalf("describe printed %q", out)
	}
	outFile := filepath.Join(admin.dir, "out.npy")
	admin.mustCtl("", "predict", "mnist", "-i", fixture.input, "-o", outFile)
	if got, err := os.ReadFile(outFile); err != nil || !bytes.Equal(got, fixture.monoA) {
		t.Fatalf("the remote prediction differs from the monolithic output (%v)", err)
	}
	// A dry run through the API: the applied spec changes nothing (exit 0),
	// a pinned placement would (exit 1).
	if out := admin.mustCtl(s.yaml(), "diff", "-f", "-"); !strings.Contains(out, "distributedmodel/mnist:") {
		t.Fatalf("diff printed %q", out)
	}
	pinned := s
	pinned.pins = []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}
	out, err := admin.ctl(pinned.yaml(), "diff", "-f", "-")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "spec changed:  true") {
		t.Fatalf("diff of a changed spec: %v: %s", err, out)
	}
	if out := admin.mustCtl("", "version"); !strings.Contains(out, "Server Version:") {
		t.Fatalf("version printed %q", out)
	}
	eventually(t, shortTimeout, "the watch sees mnist Ready", func() (bool, string) { return sawReady.Load(), "not yet" })
	eventually(t, shortTimeout, "get -w prints mnist Ready", func() (bool, string) {
		b, _ := os.ReadFile(watchOut)
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "mnist" && f[1] == "True" {
				return true, ""
			}
		}
		return false, string(b)
	})
	if out := reader.mustCtl("", "events", "mnist"); !strings.Contains(out, "Normal") {
		t.Fatalf("events printed %q", out)
	}

	// Without the token, with the read-only token for a write.
	resp, err := httpsClient(t, cx.CertificateAuthorityData).Get(cx.Server + apiserver.ResourcePath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a request without a token got %s, want 401", resp.Status)
	}
	if out, err := reader.ctl("", "delete", "mnist"); err == nil || !strings.Contains(out, "read-only") {
		t.Fatalf("delete with the read-only token: %v: %s", err, out)
	}

	if out, err := admin.ctl("", "delete", "nosuch"); err == nil || !strings.Contains(out, "not declared") {
		t.Fatalf("delete of an unknown model: %v: %s", err, out)
	}
	admin.mustCtl("", "delete", "nosuch", "--ignore-not-found")
	if out := admin.mustCtl("", "delete", "mnist", "--wait", "--timeout", "2m"); !strings.Contains(out, "distributedmodel/mnist deleted") {
		t.Fatalf("delete printed %q", out)
	}
	admin.mustCtl("", "wait", "--for", "delete", "mnist", "--timeout", "2m")
	if len(c.workloads("mnist")) != 0 {
		t.Fatal("workloads of mnist remain after a remote delete")
	}
	// Nothing was read or written locally.
	for _, d := range []string{admin.dir, reader.dir} {
		if exists(filepath.Join(d, ".papdl", "state")) || exists(filepath.Join(d, ".papdl", "specs")) {
			t.Fatalf("papdlctl used local directories in %s despite the config", d)
		}
	}
	cancel()
	<-watchDone
}

// httpsClient trusts only the given CA and sends no token.
func httpsClient(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("the config's CA data holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}
