package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
)

// freePort reserves a loopback port and releases it for a child process.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func start(t testing.TB, bin string, args ...string) *proc {
	return startEnv(t, nil, bin, args...)
}

func startEnv(t testing.TB, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		<-p.done
		p.done <- nil // later kills return at once
	}
}

// poll retries f every 50 ms; it gives up after a generous bound (a hang
// guard, not a speed assertion).
func poll(t testing.TB, what string, f func() error) {
	t.Helper()
	var err error
	for i := 0; i < 1200; i++ {
		if err = f(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s: %v", what, err)
}

func postInput(url string, body []byte) (int, []byte, error) {
	resp, err := http.Post(url+"/input", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestProcesses runs ResNet18 in three partitions and a gateway as
// separate papdl-node processes fed by an artifact server.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "papdl-node")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx := context.Background()
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := a.Partition([]int{6, 17})
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(dir, "parts")
	man, err := slice.Write(art, a, parts, "")
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.FileServer(http.Dir(art)))
	defer files.Close()
	manifest := files.URL + "/" + slice.ManifestFile

	t.Run("sha256 mismatch is refused", func(t *testing.T) {
		p := start(t, bin, "partition", "--manifest", manifest, "--index", "0", "--next", "127.0.0.1:1",
			"--listen", freePort(t), "--sha256", strings.Repeat("0", 64))
		err := <-p.done
		p.done <- err
		if err == nil || !strings.Contains(p.stderr.String(), "sha256") {
			t.Errorf("exit %v, stderr %q; want a failure naming the sha256", err, p.stderr)
		}
	})

	ret, gwAddr := freePort(t), freePort(t)
	addrs := make([]string, len(parts))
	for i := range addrs {
		addrs[i] = freePort(t)
	}
	partArgs := func(i int) []string {
		next := ret
		if i+1 < len(parts) {
			next = addrs[i+1]
		}
		return []string{"partition", "--manifest", manifest, "--index", fmt.Sprint(i), "--listen", addrs[i],
			"--next", next, "--return", ret, "--sha256", man.Partitions[i].SHA256, "--log-level", "warn"}
	}
	procs := make([]*proc, len(parts))
	for i := range parts {
		procs[i] = start(t, bin, partArgs(i)...)
	}
	start(t, bin, "gateway", "--manifest", manifest, "--first", addrs[0], "--listen", gwAddr,
		"--return-listen", ret, "--timeout", "5s", "--log-level", "warn")
	url := "http://" + gwAddr
	ready := func() error {
		resp, err := http.Get(url + "/v2/health/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	poll(t, "the chain to be ready", ready)

	mono, err := engine.Compile(a.Model, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := profile.SampleInput(a.Inputs[0].DType, a.Inputs[0].Shape, 5)
	outs, err := mono.Run(ctx, map[string]*tensor.Tensor{a.Inputs[0].Name: in})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := outs[a.Outputs[0].Name].RawBytes()
	body, _ := npy.EncodeBytes(in)
	check := func() error {
		code, b, err := postInput(url, body)
		if err != nil {
			return err
		}
		if code != 200 {
			return fmt.Errorf("HTTP %d: %s", code, b)
		}
		got, err := npy.DecodeBytes(b)
		if err != nil {
			return err
		}
		gb, _ := got.RawBytes()
		if !bytes.Equal(gb, want) {
			return fmt.Errorf("output differs from the monolithic run")
		}
		return nil
	}
	if err := check(); err != nil {
		t.Fatalf("first request: %v", err)
	}

	procs[1].kill()
	code, b, err := postInput(url, body)
	if err != nil || code == 200 || code == 400 {
		t.Errorf("with partition 1 killed: HTTP %d %q %v; want a 5xx", code, b, err)
	}
	if ready() == nil {
		t.Error("ready with partition 1 killed")
	}
	procs[1] = start(t, bin, partArgs(1)...)
	poll(t, "a successful request after the restart", check)
	for i := 0; i < 3; i++ {
		if err := check(); err != nil {
			t.Errorf("request %d after the restart: %v", i, err)
		}
	}
}
