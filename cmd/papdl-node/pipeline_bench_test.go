package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
)

// BenchmarkProcessPipelining serves ResNet18 in two partition processes
// limited to one core each (GOMAXPROCS=1, as on two single-core nodes)
// and compares requests one at a time with four in flight.
func BenchmarkProcessPipelining(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "papdl-node")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	m, err := zoo.Generate("resnet18", zoo.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	a, err := slice.Analyze(context.Background(), m, nil)
	if err != nil {
		b.Fatal(err)
	}
	parts, err := a.Partition([]int{11}) // about half the compute on each side
	if err != nil {
		b.Fatal(err)
	}
	art := filepath.Join(dir, "parts")
	if _, err := slice.Write(art, a, parts, ""); err != nil {
		b.Fatal(err)
	}
	files := httptest.NewServer(http.FileServer(http.Dir(art)))
	defer files.Close()
	manifest := files.URL + "/" + slice.ManifestFile
	ret, gw, p0, p1 := freePort(b), freePort(b), freePort(b), freePort(b)
	one := []string{"GOMAXPROCS=1"}
	startEnv(b, one, bin, "partition", "--manifest", manifest, "--index", "0", "--listen", p0, "--next", p1, "--log-level", "warn")
	startEnv(b, one, bin, "partition", "--manifest", manifest, "--index", "1", "--listen", p1, "--next", ret, "--log-level", "warn")
	start(b, bin, "gateway", "--manifest", manifest, "--first", p0, "--listen", gw, "--return-listen", ret,
		"--max-in-flight", "4", "--log-level", "warn")
	url := "http://" + gw
	body, _ := npy.EncodeBytes(profile.SampleInput(a.Inputs[0].DType, a.Inputs[0].Shape, 1))
	req := func() error {
		code, out, err := postInput(url, body)
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d: %s", code, out)
		}
		return err
	}
	poll(b, "the chain", req)
	const requests = 8
	run := func(inFlight int) time.Duration {
		start := time.Now()
		jobs := make(chan struct{}, requests)
		for i := 0; i < requests; i++ {
			jobs <- struct{}{}
		}
		close(jobs)
		var wg sync.WaitGroup
		for w := 0; w < inFlight; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if err := req(); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	var serial, piped time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serial += run(1)
		piped += run(4)
	}
	rate := func(d time.Duration) float64 { return float64(requests*b.N) / d.Seconds() }
	b.ReportMetric(rate(serial), "serial-req/s")
	b.ReportMetric(rate(piped), "pipelined-req/s")
	b.ReportMetric(rate(piped)/rate(serial), "speedup")
}
