package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// 13. kubectl and flux habits through the API: label selectors and -o
// name|yaml|jsonpath on get; suspend keeps the workloads running as they
// are while the spec changes, resume converges on the new spec; reconcile
// is answered; logs come from the controller's runtime; /metrics counts
// the controller's reconciles.
func TestHabitsThroughTheAPI(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.StartController("--runtime", "local", "--nodes", c.nodesFile, "--api-listen", "127.0.0.1:18871")
	adminFile := filepath.Join(c.State, apiserver.AdminConfigFile)
	eventually(t, shortTimeout, "the controller writes "+adminFile, func() (bool, string) {
		_, err := os.Stat(adminFile)
		return err == nil, "absent"
	})
	admin := newRemote(t, adminFile)

	s := spec{name: "mnist", model: fixture.modelA, port: 18872}
	labelled := strings.Replace(s.yaml(), "metadata: {name: mnist}", "metadata: {name: mnist, labels: {team: vision}}", 1)
	admin.mustCtl(labelled, "apply", "-f", "-")
	admin.mustCtl("", "wait", "--for", "condition=Ready", "mnist", "--timeout", "2m")
	rev := c.waitReady("mnist", "").Status.LastAppliedRevision
	admin.mustCtl("", "wait", "--for", "condition=Ready", "-l", "team=vision", "--timeout", "1m")

	for _, tc := range []struct {
		args []string
		want string // the whole output, trimmed
	}{
		{[]string{"get", "-l", "team=vision", "-o", "name"}, "distributedmodel/mnist"},
		{[]string{"get", "-l", "team in (audio,speech)", "-o", "name"}, ""},
		{[]string{"get", "-l", "!team", "-o", "name"}, ""},
		{[]string{"get", "-o", "jsonpath={.items[*].metadata.labels.team}"}, "vision"},
		{[]string{"get", "mnist", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`}, "True"},
	} {
		if out := admin.mustCtlStdout(tc.args...); strings.TrimSpace(out) != tc.want {
			t.Fatalf("papdlctl %s printed %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	if out := admin.mustCtl("", "get", "mnist", "-o", "yaml"); !strings.Contains(out, "labels:\n    team: vision") {
		t.Fatalf("get -o yaml lost the labels:\n%s", out)
	}

	// Suspended, the model keeps its workloads while its spec changes.
	if out := admin.mustCtl("", "suspend", "-l", "team=vision"); !strings.Contains(out, "distributedmodel/mnist suspended") {
		t.Fatalf("suspend printed %q", out)
	}
	c.WaitRecord("mnist", "mnist Suspended", shortTimeout, func(r *distributedmodel.Record) bool {
		cond := condition(r, v1alpha1.ConditionReconciling)
		return cond != nil && cond.Reason == v1alpha1.ReasonSuspended
	})
	if out := admin.mustCtl("", "get", "mnist"); !strings.Contains(out, "Suspended") {
		t.Fatalf("get does not say Suspended:\n%s", out)
	}
	before := c.workloads("mnist")
	admin.mustCtl(strings.Replace(labelled, fixture.modelA, fixture.modelB, 1)+"  suspend: true\n", "apply", "-f", "-")
	c.WaitRecord("mnist", "the suspended model observes its new spec", shortTimeout, func(r *distributedmodel.Record) bool {
		return r.Spec != nil && r.Spec.Model.Path == fixture.modelB
	})
	if out, err := admin.ctl("", "reconcile", "mnist"); err == nil || !strings.Contains(out, "suspended") {
		t.Fatalf("reconcile of a suspended model: %v: %s", err, out)
	}
	if r := c.Record("mnist"); r.Status.LastAppliedRevision != rev {
		t.Fatalf("a suspended model was redeployed: revision %s, was %s", r.Status.LastAppliedRevision, rev)
	}
	after := c.workloads("mnist")
	for name, w := range before {
		if a, ok := after[name]; !ok || a.PID != w.PID || a.Hash != w.Hash {
			t.Fatalf("workload %s changed while suspended: %+v, was %+v", name, a, w)
		}
	}

	// Resumed, it converges on the new spec; a reconcile is then answered.
	if out := admin.mustCtl("", "resume", "mnist"); !strings.Contains(out, "distributedmodel/mnist resumed") {
		t.Fatalf("resume printed %q", out)
	}
	c.waitReady("mnist", rev)
	if out := admin.mustCtl("", "reconcile", "mnist"); !strings.Contains(out, "reconciled: Ready=True") {
		t.Fatalf("reconcile printed %q", out)
	}
	if out := admin.mustCtl("", "logs", "mnist", "--gateway", "--tail", "5"); strings.TrimSpace(out) == "" {
		t.Fatal("logs of the gateway are empty")
	}
	if out := admin.mustCtl("", "logs", "mnist"); !strings.Contains(out, "[papdl-mnist-gateway] ") {
		t.Fatalf("logs of every workload lack the gateway's:\n%s", out)
	}
	if out, err := admin.ctl("", "logs", "mnist", "--partition", "9"); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("logs of a partition that does not exist: %v: %s", err, out)
	}
	metrics := c.scrape(t, adminFile)
	for _, want := range []string{
		`papdl_controller_reconciles_total{controller="distributedmodel",result="success"}`,
		`papdl_controller_reconcile_duration_seconds_count{controller="distributedmodel"}`,
		`papdl_controller_queue_depth{controller="distributedmodel"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if out := admin.mustCtl("", "delete", "-l", "team=vision", "--wait", "--timeout", "2m"); !strings.Contains(out, "distributedmodel/mnist deleted") {
		t.Fatalf("delete -l printed %q", out)
	}
	if len(c.workloads("mnist")) != 0 {
		t.Fatal("workloads of mnist remain after delete -l")
	}
}

// mustCtlStdout runs papdlctl and returns its standard output alone.
func (r *remote) mustCtlStdout(args ...string) string {
	r.t.Helper()
	out, err := r.command("", args...).Output()
	if err != nil {
		r.t.Fatalf("papdlctl %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// scrape reads /metrics with the config file's token and CA.
func (c *cluster) scrape(t *testing.T, configFile string) string {
	t.Helper()
	cfg, err := apiserver.LoadConfig(configFile)
	if err != nil {
		t.Fatal(err)
	}
	cx, err := cfg.Context("")
	if err != nil {
		t.Fatal(err)
	}
	req, err := newAuthRequest(cx.Server+"/metrics", cx.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpsClient(t, cx.CertificateAuthorityData).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newAuthRequest is a GET with a bearer token.
func newAuthRequest(url, token string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}
