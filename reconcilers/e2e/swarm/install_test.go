package swarm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	dockerswarm "github.com/docker/docker/api/types/swarm"

	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/install"
	swarmrt "github.com/papdl/papdl/reconcilers/runtime/swarm"
)

// The installed controller's ports on the manager and the model's gateway
// port on its source node.
const (
	installAPIPort      = 18961
	installArtifactPort = 18962
	installModel        = "installed-mnist"
	installGatewayPort  = 18963
)

// remoteUser runs papdlctl as a user elsewhere would: in a directory of its
// own, HOME pointing there, no PAPDL_ variable; install writes
// ~/.papdl/config there and every later verb goes through the API.
type remoteUser struct {
	t   *testing.T
	dir string
}

func (c remoteUser) run(args ...string) (string, error) {
	cmd := exec.Command(fixture.bin.Ctl, args...)
	cmd.Dir = c.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PAPDL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+c.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c remoteUser) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("papdlctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestSwarmInstall installs the controller as a Swarm service with
// `papdlctl install --swarm`, drives it from a directory holding only the
// config install wrote (apply, wait, get, predict, delete), installs again
// (nothing changes), and uninstalls with --purge: nothing is left.
func TestSwarmInstall(t *testing.T) {
	if !enabled() {
		t.Skip("set PAPDL_SWARM_TESTS=1 to run on the test bed of hack/swarm-up.sh 3")
	}
	b := newBed(t, installModel)
	c := remoteUser{t: t, dir: t.TempDir()}
	// The model lives in a directory mounted into the controller's
	// container at the same path (install --models-dir).
	models := t.TempDir()
	model, input, mono := filepath.Join(models, "mnist.onnx"), filepath.Join(c.dir, "input.npy"), filepath.Join(models, "mono.npy")
	for _, args := range [][]string{
		{"model", "generate", "--arch", "mnist", "--seed", "7", "-o", model},
		{"model", "input", "-m", model, "-o", input},
		{"infer", "-m", model, "-i", input, "-o", mono},
	} {
		if out, err := fixture.bin.RunCtl("", args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	want, err := os.ReadFile(mono)
	if err != nil {
		t.Fatal(err)
	}
	// A controller left by an interrupted run goes first; this run's is
	// removed however the test ends.
	c.must("uninstall", "--remove-models", "--purge")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "service", "logs", "--tail", "80", install.ServiceName).CombinedOutput()
			t.Logf("docker service logs %s:\n%s", install.ServiceName, out)
			desc, _ := c.run("describe", installModel)
			t.Logf("describe %s:\n%s", installModel, desc)
		}
		if out, err := c.run("uninstall", "--remove-models", "--purge"); err != nil {
			t.Logf("cleanup: papdlctl uninstall: %v\n%s", err, out)
		}
	})

	// 1. install: the service runs, the API answers, the config is written.
	installArgs := []string{"install", "--swarm", "--api-port", fmt.Sprint(installAPIPort),
		"--artifact-addr", fmt.Sprintf("%s:%d", bridgeAddr, installArtifactPort), "--models-dir", models}
	start := time.Now()
	out := c.must(installArgs...)
	t.Logf("TIMING install --swarm -> API answering: %s\n%s", time.Since(start).Round(time.Millisecond), out)
	if !strings.Contains(out, "papdl controller created") {
		t.Errorf("install printed %q, want the service created", out)
	}
	if _, err := os.Stat(filepath.Join(c.dir, ".papdl", "config")); err != nil {
		t.Fatalf("install wrote no ~/.papdl/config: %v", err)
	}
	if out := c.must("version"); !strings.Contains(out, fmt.Sprintf("https://127.0.0.1:%d", installAPIPort)) {
		t.Errorf("papdlctl version printed %q, want the server at 127.0.0.1:%d", out, installAPIPort)
	}

	// 2. apply through the API -> Ready; predictions equal the monolithic
	// output, bitwise.
	spec := e2eutil.Spec{Name: installModel, ModelPath: model, SourceHost: "node1", InputShape: []int64{1, 1, 28, 28},
		GatewayPort: installGatewayPort, AvoidLabels: map[string]string{swarmrt.LabelNode: "manager"}}
	specFile := filepath.Join(c.dir, installModel+".yaml")
	if err := os.WriteFile(specFile, []byte(spec.YAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	c.must("apply", "-f", specFile)
	c.must("wait", "--for", "condition=Ready", installModel, "--timeout", benchReadyTimeout.String())
	t.Logf("TIMING apply -> Ready through the installed controller (benchmark of every node included): %s",
		time.Since(start).Round(time.Millisecond))
	if out := c.must("get", installModel); !strings.Contains(out, "True") {
		t.Errorf("get %s:\n%s", installModel, out)
	}
	got := filepath.Join(c.dir, "out.npy")
	for i := 0; i < 3; i++ {
		c.must("predict", installModel, "-i", input, "-o", got)
		if data, err := os.ReadFile(got); err != nil || !bytes.Equal(data, want) {
			t.Fatalf("predict #%d: differs from the monolithic output (%v)", i, err)
		}
	}

	// 3. install again: nothing changes; install with another flag: the
	// controller is upgraded in place; the model's services are untouched.
	before := b.snapshot(installModel)
	start = time.Now()
	if out := c.must(installArgs...); !strings.Contains(out, "papdl controller unchanged") {
		t.Errorf("second install printed %q, want the service unchanged", out)
	}
	t.Logf("TIMING install again (unchanged): %s", time.Since(start).Round(time.Millisecond))
	// An upgrade in place (another flag): the controller restarts, with
	// the same CA and tokens, and redeploys nothing.
	start = time.Now()
	if out := c.must(append(installArgs, "--log-level", "debug")...); !strings.Contains(out, "papdl controller updated") {
		t.Errorf("install with another flag printed %q, want the service updated", out)
	}
	t.Logf("TIMING install with another flag (upgrade in place) -> API answering: %s", time.Since(start).Round(time.Millisecond))
	c.must("wait", "--for", "condition=Ready", installModel, "--timeout", readyTimeout.String())
	if after := b.snapshot(installModel); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("installing again changed the model's services:\nbefore %v\nafter  %v", before, after)
	}

	// 4. uninstall without --remove-models: the model keeps serving; a new
	// install takes it over (state in the volume) without redeploying.
	c.must("uninstall")
	if left := installLeftovers(t, b); len(left) != 2 { // the volume and the image stay
		t.Errorf("left after uninstall: %s; want the volume and the image only", strings.Join(left, "; "))
	}
	in, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := fmt.Sprintf("http://%s:%d", workers[0].addr, installGatewayPort)
	if got, err := post(context.Background(), endpoint, in); err != nil || !bytes.Equal(got, want) {
		t.Errorf("with no controller, POST %s/input: %v (want 200 and the monolithic output, bitwise)", endpoint, err)
	}
	start = time.Now()
	if out := c.must(installArgs...); !strings.Contains(out, "papdl controller created") {
		t.Errorf("install after uninstall printed %q, want the service created", out)
	}
	c.must("wait", "--for", "condition=Ready", installModel, "--timeout", readyTimeout.String())
	t.Logf("TIMING install after uninstall -> model Ready: %s", time.Since(start).Round(time.Millisecond))
	if after := b.snapshot(installModel); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("reinstalling changed the model's services:\nbefore %v\nafter  %v", before, after)
	}

	// 5. delete through the API: nothing of the model is left.
	start = time.Now()
	c.must("delete", installModel, "--wait", "--timeout", cleanupTimeout.String())
	eventually(t, cleanupTimeout, "nothing of "+installModel+" left", func() (bool, string) {
		left := b.leftovers(installModel)
		return len(left) == 0, strings.Join(left, "; ")
	})
	t.Logf("TIMING delete -> nothing left: %s", time.Since(start).Round(time.Millisecond))

	// 6. uninstall --purge: no service, container, volume or image of the
	// controller remains.
	start = time.Now()
	c.must("uninstall", "--purge")
	t.Logf("TIMING uninstall --purge: %s", time.Since(start).Round(time.Millisecond))
	if left := installLeftovers(t, b); len(left) > 0 {
		t.Errorf("left after uninstall --purge: %s", strings.Join(left, "; "))
	}
}

// installLeftovers lists what remains of the installed controller on the
// manager's engine.
func installLeftovers(t *testing.T, b *bed) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	if _, _, err := b.docker.ServiceInspectWithRaw(ctx, install.ServiceName, dockerswarm.ServiceInspectOptions{}); !cerrdefs.IsNotFound(err) {
		out = append(out, fmt.Sprintf("service %s (%v)", install.ServiceName, err))
	}
	if _, err := b.docker.VolumeInspect(ctx, install.VolumeName); !cerrdefs.IsNotFound(err) {
		out = append(out, fmt.Sprintf("volume %s (%v)", install.VolumeName, err))
	}
	component := filters.Arg("label", install.LabelComponent+"="+install.ComponentController)
	imgs, err := b.docker.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(component)})
	if err != nil {
		t.Fatalf("list images: %v", err)
	}
	for _, im := range imgs {
		out = append(out, "image "+strings.Join(im.RepoTags, ","))
	}
	ctrs, err := b.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(component)})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	for _, ct := range ctrs {
		out = append(out, fmt.Sprintf("container %.12s (%s)", ct.ID, ct.State))
	}
	return out
}
