package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// Benchmark implements runtime.Runtime: each node's units are measured by a
// `papdl-node bench` process with that node's caps, one node after another.
// All nodes share this host's loopback, so one link measurement (to a
// `papdl-node probe` process) stands for every ordered pair.
func (r *Runtime) Benchmark(ctx context.Context, req runtime.BenchmarkRequest) (*runtime.BenchmarkResult, error) {
	res := &runtime.BenchmarkResult{Profile: &clusterprofile.ClusterProfile{}, Failed: map[string]error{}}
	var link *chain.LinkBenchmark
	for i, n := range req.Nodes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("benchmark cancelled: %w", err)
		}
		if req.Progress != nil {
			req.Progress(n.Hostname, fmt.Sprintf("node %s (%d/%d): measuring units", n.Hostname, i+1, len(req.Nodes)))
		}
		args := benchArgs(req, n.ID)
		var stop func()
		if link == nil && len(req.Nodes) > 1 {
			addr, s, err := r.startProbe(ctx, req.Model)
			if err != nil {
				return nil, err
			}
			stop = s
			args = append(args, "--peers", addr, "--sizes", joinSizes(req.PayloadBytes))
		}
		nb, err := r.runBench(ctx, req.Model, n.ID, args)
		if stop != nil {
			stop()
		}
		if err != nil {
			res.Failed[n.Hostname] = err
			continue
		}
		// Times are what the capped process measured: no scaling.
		pn, err := runtime.NodeProfile(n, nb, 1)
		if err != nil {
			res.Failed[n.Hostname] = err
			continue
		}
		res.Profile.Nodes = append(res.Profile.Nodes, pn)
		if link == nil && len(nb.Links) > 0 && nb.Links[0].Error == "" {
			link = &nb.Links[0]
			if link.BandwidthBytesPerSecond <= 0 {
				// The fit failed on noise: take the largest payload's rate.
				for _, s := range link.Samples {
					if s.Seconds.Median > 0 {
						link.BandwidthBytesPerSecond = float64(s.Bytes) / s.Seconds.Median
					}
				}
			}
		}
	}
	if len(res.Profile.Nodes) == 0 {
		return nil, fmt.Errorf("no node could be benchmarked: %v", res.Failed)
	}
	if len(res.Profile.Nodes) > 1 {
		if link == nil {
			return nil, fmt.Errorf("the loopback link could not be measured")
		}
		for _, a := range res.Profile.Nodes {
			for _, b := range res.Profile.Nodes {
				if a.ID != b.ID {
					res.Profile.Links = append(res.Profile.Links, clusterprofile.Link{From: a.ID, To: b.ID,
						RTTSeconds: link.RTTSeconds, BandwidthBytesPerSecond: link.BandwidthBytesPerSecond})
				}
			}
		}
	}
	return res, nil
}

// benchArgs is the papdl-node bench command line of one node, without
// the link probes: the benchmark partition set when there is one, else the
// whole model.
func benchArgs(req runtime.BenchmarkRequest, nodeID string) []string {
	args := []string{"bench"}
	if req.ManifestPath != "" {
		args = append(args, "--manifest", req.ManifestPath)
	} else {
		args = append(args, "--model", req.ModelPath, "--sha256", req.ModelSHA256)
	}
	args = append(args, "--node", nodeID, "--warmup", strconv.Itoa(req.Warmup), "--profile-repeats", strconv.Itoa(req.Repeats))
	if req.ManifestPath == "" {
		names := make([]string, 0, len(req.InputShapes))
		for name := range req.InputShapes {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			args = append(args, "--input-shape", name+"="+joinDims(req.InputShapes[name]))
		}
	}
	return args
}

func (r *Runtime) runBench(ctx context.Context, model, nodeID string, args []string) (*chain.NodeBenchmark, error) {
	cmd := exec.CommandContext(ctx, r.cfg.NodeBinary, args...)
	cmd.Env = append(append(os.Environ(), r.env(nodeID)...), r.identityEnv(taskBench, model)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Start()
	if err == nil {
		if cerr := r.cg.add(nodeID, cmd.Process.Pid); cerr != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("papdl-node bench on %s: %w", nodeID, cerr)
		}
		err = cmd.Wait()
	}
	if err != nil {
		return nil, fmt.Errorf("papdl-node bench on %s: %w: %s", nodeID, err, lastLines(stderr.String(), 3))
	}
	var nb chain.NodeBenchmark
	if err := json.Unmarshal(stdout.Bytes(), &nb); err != nil {
		return nil, fmt.Errorf("papdl-node bench on %s: output: %w", nodeID, err)
	}
	return &nb, nil
}

// startProbe runs a probe server on a free loopback port.
func (r *Runtime) startProbe(ctx context.Context, model string) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(r.cfg.NodeBinary, "probe", "--listen", addr)
	cmd.Env = append(os.Environ(), r.identityEnv(taskProbe, model)...)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start probe server: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	return addr, stop, nil
}

func joinDims(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

func joinSizes(sizes []int64) string {
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ",")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
