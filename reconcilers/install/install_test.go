package install

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/reconcilers/apiserver"
)

func TestApplyService(t *testing.T) {
	spec, hash, err := WithHash(ServiceSpec(baseOptions(), "img:1", "N"))
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := WithHash(ServiceSpec(baseOptions(), "img:0", "N"))
	foreign := ServiceSpec(baseOptions(), "img:0", "N")
	foreign.Labels = nil
	cases := []struct {
		name     string
		existing *swarm.ServiceSpec
		want     string
		calls    []string
		err      string
	}{
		{name: "absent: created", want: "created", calls: []string{"create"}},
		{name: "same spec: unchanged", existing: &spec, want: "unchanged"},
		{name: "another spec: updated at its version", existing: &other, want: "updated", calls: []string{"update svc0@42"}},
		{name: "a service install did not make: refused", existing: &foreign, err: "not made by papdlctl install"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeEngine{}
			if c.existing != nil {
				f.service = &swarm.Service{ID: "svc0", Spec: *c.existing, Meta: swarm.Meta{Version: swarm.Version{Index: 42}}}
			}
			got, err := applyService(context.Background(), f, spec, hash)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("applyService: %q, %v; want an error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want || !slices.Equal(f.calls, c.calls) {
				t.Fatalf("applyService: %q, %v, calls %q; want %q, calls %q", got, err, f.calls, c.want, c.calls)
			}
			if f.service.Spec.Labels[LabelSpecHash] != hash {
				t.Errorf("the service's spec hash is %q, want %q", f.service.Spec.Labels[LabelSpecHash], hash)
			}
		})
	}
}

func TestReadAdminConfig(t *testing.T) {
	cfg := apiserver.NewConfig(apiserver.Context{Name: "admin@vm", Server: "https://vm:6443",
		CertificateAuthorityData: []byte("-----BEGIN CERTIFICATE-----\n"), Token: "t0k"})
	good, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := path.Join(StateDir, apiserver.AdminConfigFile)
	cases := []struct {
		name  string
		files map[string][]byte
		err   error  // errors.Is
		msg   string // in the error
	}{
		{name: "written", files: map[string][]byte{file: good}},
		{name: "not yet written", files: map[string][]byte{}, err: errNoConfig},
		{name: "garbage", files: map[string][]byte{file: []byte("kind: [")}, msg: "admin.papdlconfig in container"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAdminConfig(context.Background(), &fakeEngine{files: c.files}, "c0ffee")
			switch {
			case c.err != nil:
				if !errors.Is(err, c.err) {
					t.Fatalf("readAdminConfig: %v, want %v", err, c.err)
				}
			case c.msg != "":
				if err == nil || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("readAdminConfig: %v, want an error containing %q", err, c.msg)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				cx, err := ClientContext(got, "192.0.2.7", 18943)
				if err != nil {
					t.Fatal(err)
				}
				if cx.Name != "admin@192.0.2.7" || cx.Server != "https://192.0.2.7:18943" || cx.Token != "t0k" {
					t.Errorf("client context %+v", cx)
				}
			}
		})
	}
}

func TestRunningTask(t *testing.T) {
	task := func(hash string, state swarm.TaskState, age time.Duration, msg string) swarm.Task {
		return swarm.Task{
			Meta:         swarm.Meta{CreatedAt: time.Unix(1000, 0).Add(-age)},
			Spec:         swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Labels: map[string]string{LabelSpecHash: hash}}},
			DesiredState: swarm.TaskStateRunning,
			Status: swarm.TaskStatus{State: state, Err: msg,
				ContainerStatus: &swarm.ContainerStatus{ContainerID: string(state) + "-" + hash}},
		}
	}
	cases := []struct {
		name  string
		tasks []swarm.Task
		want  string // container ID
		err   string
	}{
		{name: "the new spec's task runs", want: "running-new",
			tasks: []swarm.Task{task("old", swarm.TaskStateRunning, 2*time.Second, ""), task("new", swarm.TaskStateRunning, time.Second, "")}},
		{name: "three rejections stop the wait", err: "bind source path does not exist",
			tasks: []swarm.Task{task("new", swarm.TaskStateRejected, 3*time.Second, "bind source path does not exist"),
				task("new", swarm.TaskStateRejected, 2*time.Second, "bind source path does not exist"),
				task("new", swarm.TaskStateFailed, time.Second, "bind source path does not exist")}},
		{name: "only the old spec runs: still waiting", err: "context deadline exceeded",
			tasks: []swarm.Task{task("old", swarm.TaskStateRunning, time.Second, "")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			got, err := runningTask(ctx, &fakeEngine{tasks: c.tasks}, "new", nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("runningTask: %q, %v; want an error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("runningTask: %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
