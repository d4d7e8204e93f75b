package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// 8. A corpus of bad specs and model files fed into a running controller
// while a healthy model serves: every answer stays the healthy model's
// exact output, every bad model is reported (not acted on), nothing is
// written outside the state directory, the controller keeps converging and
// stops on SIGTERM.
func TestBadInputCorpusNeverHurtsAHealthyModel(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	port := freePort(t)
	good := spec{name: "good", model: fixture.modelA, port: port}
	c.apply(good)
	c.waitReady("good", "")

	// Bad model files.
	bad := filepath.Join(c.Dir, "bad-models")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	onnx, err := os.ReadFile(fixture.modelA)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"truncated.onnx": onnx[:len(onnx)/3], "garbage.onnx": bytes.Repeat([]byte{0xff, 0x01}, 4096), "empty.onnx": nil}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(bad, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("loop-b.onnx", filepath.Join(bad, "loop-a.onnx")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop-a.onnx", filepath.Join(bad, "loop-b.onnx")); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(bad, "huge.onnx")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 3<<30); err != nil { // 3 GiB, no blocks: past the bound
		t.Fatal(err)
	}
	withModel := func(name, model string) string {
		return spec{name: name, model: model, port: freePort(t)}.yaml()
	}
	goodYAML := good.yaml()
	corpus := []struct{ file, data, model string }{
		{"dev-zero.yaml", withModel("dev-zero", "/dev/zero"), "dev-zero"},
		{"a-directory.yaml", withModel("a-directory", bad), "a-directory"},
		{"truncated.yaml", withModel("truncated", filepath.Join(bad, "truncated.onnx")), "truncated"},
		{"garbage-model.yaml", withModel("garbage-model", filepath.Join(bad, "garbage.onnx")), "garbage-model"},
		{"empty-model.yaml", withModel("empty-model", filepath.Join(bad, "empty.onnx")), "empty-model"},
		{"symlink-loop.yaml", withModel("symlink-loop", filepath.Join(bad, "loop-a.onnx")), "symlink-loop"},
		{"huge-model.yaml", withModel("huge-model", sparse), "huge-model"},
		{"missing-model.yaml", withModel("missing-model", filepath.Join(bad, "nope.onnx")), "missing-model"},
		{"traversal.yaml", strings.Replace(goodYAML, "name: good}", "name: ../../escape}", 1), ""},
		{"dotdot.yaml", strings.Replace(goodYAML, "name: good}", "name: ..}", 1), ""},
		{"slash.yaml", strings.Replace(goodYAML, "name: good}", "name: a/b}", 1), ""},
		{"malformed.yaml", "apiVersion: papdl.io/v1alpha1\nkind: [DistributedModel\nmetadata: {name: m", ""},
		{"binary.yaml", "\x00\x01\x02\x03\xff\xfe\xfd", ""},
		{"alias-bomb.yaml", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", ""},
		{"deep.yaml", "a: " + strings.Repeat("[", 50000) + strings.Repeat("]", 50000) + "\n", ""},
		{"huge-numbers.yaml", strings.Replace(strings.Replace(goodYAML, "name: good}", "name: numbers}", 1), fmt.Sprintf("port: %d", port), "port: 99999999999999999999999", 1), "numbers"},
		{"too-large.yaml", goodYAML + "#" + strings.Repeat("x", distributedmodel.MaxSpecFileBytes+10) + "\n", ""},
		{"duplicate.yaml", goodYAML, ""},
		{"port-thief.yaml", spec{name: "thief", model: fixture.modelB, port: port}.yaml(), "thief"},
	}
	// Directories that look like spec files are walked, not read.
	if err := os.MkdirAll(filepath.Join(c.Specs, "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	outsideBefore := listOutside(t, c)

	// A client sends requests to the healthy model throughout.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent, wrong int
	var firstWrong string
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(3 * time.Minute)
		for ctx.Err() == nil && time.Now().Before(deadline) {
			body, err := postInput(ctx, port)
			if ctx.Err() != nil {
				return // the test ended this request, not the server
			}
			mu.Lock()
			sent++
			if err != nil || !bytes.Equal(body, fixture.monoA) {
				wrong++
				if firstWrong == "" {
					firstWrong = fmt.Sprintf("request %d: %v", sent, err)
				}
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()

	for _, item := range corpus {
		if err := os.WriteFile(filepath.Join(c.Specs, item.file), []byte(item.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Every named bad model is reported Stalled (or at least not Ready),
	// with a reason.
	for _, item := range corpus {
		if item.model == "" {
			continue
		}
		c.WaitRecord(item.model, item.model+" reported", shortTimeout, func(r *distributedmodel.Record) bool {
			cond := condition(r, "Ready")
			return cond != nil && cond.Status == "False" && cond.Message != ""
		})
	}
	// The duplicate quarantines "good", which keeps serving; removing the
	// duplicate (and the thief) makes it Ready again.
	for _, f := range []string{"duplicate.yaml", "port-thief.yaml"} {
		if err := os.Remove(filepath.Join(c.Specs, f)); err != nil {
			t.Fatal(err)
		}
	}
	c.waitReady("good", "")
	outsideAfter := listOutside(t, c)
	// The controller still converges: a new valid model becomes Ready.
	c.apply(spec{name: "fresh", model: fixture.modelB, port: freePort(t)})
	c.waitReady("fresh", "")
	stop()
	wg.Wait()
	t.Logf("%d corpus entries; %d requests to the healthy model during the corpus, %d wrong", len(corpus), sent, wrong)
	if wrong > 0 || sent == 0 {
		t.Errorf("%d of %d requests to the healthy model failed or answered wrong (first: %s)", wrong, sent, firstWrong)
	}
	if outsideAfter != outsideBefore {
		t.Errorf("files appeared outside the state and specs directories:\nbefore %s\nafter  %s", outsideBefore, outsideAfter)
	}
	// SIGTERM stops the controller in time (a model on /dev/zero must not
	// wedge it).
	c.StopController()
}

// listOutside lists the test directory's tree except the state, the specs
// and the controller logs.
func listOutside(t *testing.T, c *cluster) string {
	t.Helper()
	var out []string
	err := filepath.Walk(filepath.Dir(c.Dir), func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if path == c.State || path == c.Specs {
			return filepath.SkipDir
		}
		if strings.HasPrefix(filepath.Base(path), "controller-") {
			return nil
		}
		out = append(out, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// postInput sends the fixture's input to the gateway on port.
func postInput(ctx context.Context, port int) ([]byte, error) {
	in, err := os.ReadFile(fixture.input)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/input", port), bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %s: %s", resp.Status, body)
	}
	return body, err
}
