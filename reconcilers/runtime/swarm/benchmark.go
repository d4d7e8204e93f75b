package swarm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// benchServiceName names a benchmark service of a model on a node
// (papdl-<model>-<kind>-<node ID prefix>), hashing the model name when the
// result would exceed Swarm's 63 characters.
func benchServiceName(model, kind, nodeID string) string {
	id := nodeID
	if len(id) > 12 {
		id = id[:12]
	}
	name := fmt.Sprintf("papdl-%s-%s-%s", model, kind, id)
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(model))
	return fmt.Sprintf("papdl-%s-%s-%s", hex.EncodeToString(sum[:6]), kind, id)
}

// Benchmark measures the model on every requested node (all ready nodes
// when req.Nodes is empty): a probe agent runs on each node, then each
// node in turn runs papdl-node bench against the others' agents. A node
// that cannot be measured is reported in Failed by hostname; the profile
// holds the others (Model and Metadata are the caller's to fill in).
func (r *Runtime) Benchmark(ctx context.Context, req runtime.BenchmarkRequest) (*runtime.BenchmarkResult, error) {
	if req.Model == "" {
		return nil, errors.New("benchmark: model name required")
	}
	nodes := req.Nodes
	if len(nodes) == 0 {
		all, err := r.Nodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("benchmark %s: %w", req.Model, err)
		}
		for _, n := range all {
			if n.Ready {
				nodes = append(nodes, n)
			}
		}
	}
	progress := func(node, format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		r.log.Info("benchmark: "+msg, zap.String("model", req.Model), zap.String("node", node))
		if req.Progress != nil {
			req.Progress(node, msg)
		}
	}
	res := &runtime.BenchmarkResult{Profile: &clusterprofile.ClusterProfile{}, Failed: map[string]error{}}
	var modelURL, manifestURL, manifestSHA string
	if req.ManifestPath != "" {
		if r.cfg.Artifacts == nil {
			return nil, fmt.Errorf("benchmark %s: neither Config.Artifacts nor Config.ArtifactBaseURL is set", req.Model)
		}
		var err error
		if manifestURL, manifestSHA, err = r.publishPartitionSet(ctx, req.ManifestPath); err != nil {
			return nil, fmt.Errorf("benchmark %s: %w", req.Model, err)
		}
	} else if req.ModelPath != "" {
		if r.cfg.Artifacts == nil {
			return nil, fmt.Errorf("benchmark %s: neither Config.Artifacts nor Config.ArtifactBaseURL is set", req.Model)
		}
		u, err := r.cfg.Artifacts.Publish(ctx, req.ModelPath, req.ModelSHA256)
		if err != nil {
			return nil, fmt.Errorf("benchmark %s: publish model: %w", req.Model, err)
		}
		modelURL = u
	}
	netID, err := r.ensureNetwork(ctx, req.Model)
	if err != nil {
		return nil, fmt.Errorf("benchmark %s: %w", req.Model, err)
	}

	// Probe agents, so every node's links can be measured.
	var ok []runtime.Node
	probes := map[string]string{} // node ID -> probe address
	var probeServices []string
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, s := range probeServices {
			if err := r.Remove(cctx, s); err != nil {
				r.log.Warn("benchmark: remove probe", zap.String("service", s), zap.Error(err))
			}
		}
	}()
	for _, n := range nodes {
		name := benchServiceName(req.Model, "probe", n.ID)
		probeServices = append(probeServices, name)
		progress(n.Hostname, "starting link probe agent %s", name)
		if err := r.startProbe(ctx, req.Model, name, netID, n); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("benchmark %s: %w", req.Model, ctx.Err())
			}
			progress(n.Hostname, "left out: %v", err)
			res.Failed[n.Hostname] = err
			continue
		}
		ok = append(ok, n)
		probes[n.ID] = hostPort(name, ProbePort)
	}
	peerNode := map[string]string{}
	for id, addr := range probes {
		peerNode[addr] = id
	}

	for i, n := range ok {
		progress(n.Hostname, "benchmarking node %d of %d", i+1, len(ok))
		var peers []string
		for _, m := range ok {
			if m.ID != n.ID {
				peers = append(peers, probes[m.ID])
			}
		}
		sort.Strings(peers)
		inv := BenchInvocation{Node: n, ManifestURL: manifestURL, ManifestSHA256: manifestSHA, ModelURL: modelURL, ModelSHA256: req.ModelSHA256, InputShapes: req.InputShapes,
			Peers: peers, Warmup: req.Warmup, Repeats: req.Repeats, PayloadBytes: req.PayloadBytes}
		start := time.Now()
		nb, err := r.benchNode(ctx, req.Model, netID, inv)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("benchmark %s: %w", req.Model, ctx.Err())
			}
			progress(n.Hostname, "left out: %v", err)
			res.Failed[n.Hostname] = err
			continue
		}
		pn, err := runtime.NodeProfile(n, nb, 1)
		if err != nil {
			res.Failed[n.Hostname] = err
			continue
		}
		res.Profile.Nodes = append(res.Profile.Nodes, pn)
		links, lerrs := runtime.Links(n.ID, nb, peerNode)
		res.Profile.Links = append(res.Profile.Links, links...)
		for _, e := range lerrs {
			r.log.Warn("benchmark: link not measured", zap.String("node", n.Hostname), zap.Error(e))
		}
		progress(n.Hostname, "done in %s: %d units, %d links", time.Since(start).Round(time.Millisecond),
			len(nb.Units), len(links))
	}
	// Links from or to a node that failed its own benchmark are useless.
	measured := map[string]bool{}
	for _, pn := range res.Profile.Nodes {
		measured[pn.ID] = true
	}
	links := res.Profile.Links[:0]
	for _, l := range res.Profile.Links {
		if measured[l.From] && measured[l.To] {
			links = append(links, l)
		}
	}
	res.Profile.Links = links
	return res, nil
}

// startProbe runs a node's probe agent and waits for it to run.
func (r *Runtime) startProbe(ctx context.Context, model, name, netID string, n runtime.Node) error {
	ref, err := r.ensureImage(ctx, n.ID, n.Hostname)
	if err != nil {
		return err
	}
	_ = r.Remove(ctx, name) // a leftover of an interrupted benchmark
	spec := serviceSpec(serviceParams{
		Name: name, Labels: map[string]string{LabelModel: model, LabelRole: roleProbe},
		Image: ref, Args: r.cfg.ProbeCommand(), NodeID: n.ID, Network: netID,
		Restart: swarm.RestartPolicyConditionOnFailure,
	})
	if _, err := r.eng.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{}); err != nil {
		return fmt.Errorf("create service %s on node %s: %w", name, n.Hostname, err)
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.StartTimeout)
	defer cancel()
	for {
		tasks, err := r.serviceTasks(wctx, name)
		if err == nil {
			for _, t := range tasks {
				if t.Status.State == swarm.TaskStateRunning {
					return nil
				}
			}
		}
		if err := sleep(wctx, 300*time.Millisecond); err != nil {
			return fmt.Errorf("service %s on node %s not running after %s: %s", name, n.Hostname,
				r.cfg.StartTimeout, latestTaskMessage(tasks))
		}
	}
}

// benchNode runs one one-shot bench service and returns its result.
func (r *Runtime) benchNode(ctx context.Context, model, netID string, inv BenchInvocation) (*chain.NodeBenchmark, error) {
	n := inv.Node
	ref, err := r.ensureImage(ctx, n.ID, n.Hostname)
	if err != nil {
		return nil, err
	}
	name := benchServiceName(model, "bench", n.ID)
	_ = r.Remove(ctx, name)
	spec := serviceSpec(serviceParams{
		Name: name, Labels: map[string]string{LabelModel: model, LabelRole: roleBench},
		Image: ref, Args: r.cfg.BenchCommand(inv), NodeID: n.ID, Network: netID,
		Restart: swarm.RestartPolicyConditionNone,
	})
	if _, err := r.eng.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{}); err != nil {
		return nil, fmt.Errorf("create service %s on node %s: %w", name, n.Hostname, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := r.Remove(cctx, name); err != nil {
			r.log.Warn("benchmark: remove service", zap.String("service", name), zap.Error(err))
		}
	}()
	t, err := r.waitDone(ctx, name, r.cfg.BenchmarkTimeout)
	if err != nil {
		return nil, fmt.Errorf("service %s on node %s: %w", name, n.Hostname, err)
	}
	stdout, stderr, err := r.serviceOutput(ctx, name)
	if err != nil {
		return nil, err
	}
	if t.Status.State != swarm.TaskStateComplete {
		return nil, fmt.Errorf("service %s on node %s: %s%s", name, n.Hostname, taskMessage(t), tail(stderr, 400))
	}
	nb, err := parseBench(stdout)
	if err != nil {
		return nil, fmt.Errorf("service %s on node %s: %w%s", name, n.Hostname, err, tail(stderr, 400))
	}
	return nb, nil
}

// waitDone waits until the service's newest task is finished.
func (r *Runtime) waitDone(ctx context.Context, name string, limit time.Duration) (swarm.Task, error) {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var tasks []swarm.Task
	for {
		var err error
		tasks, err = r.serviceTasks(wctx, name)
		if err == nil && len(tasks) > 0 {
			sort.Slice(tasks, func(i, j int) bool { return tasks[i].CreatedAt.After(tasks[j].CreatedAt) })
			if terminal(tasks[0].Status.State) {
				return tasks[0], nil
			}
		}
		if err := sleep(wctx, 500*time.Millisecond); err != nil {
			if ctx.Err() != nil {
				return swarm.Task{}, ctx.Err()
			}
			return swarm.Task{}, fmt.Errorf("timed out after %s (%s)", limit, latestTaskMessage(tasks))
		}
	}
}

// serviceOutput reads a service's logs, split into stdout and stderr.
func (r *Runtime) serviceOutput(ctx context.Context, name string) (stdout, stderr []byte, err error) {
	rc, err := r.eng.ServiceLogs(ctx, name, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, nil, fmt.Errorf("logs of service %s: %w", name, err)
	}
	defer rc.Close()
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, rc); err != nil {
		return nil, nil, fmt.Errorf("logs of service %s: %w", name, err)
	}
	return out.Bytes(), errb.Bytes(), nil
}

func taskMessage(t swarm.Task) string {
	msg := string(t.Status.State)
	if t.Status.Err != "" {
		msg += ": " + t.Status.Err
	} else if t.Status.Message != "" {
		msg += ": " + t.Status.Message
	}
	return msg
}

func latestTaskMessage(tasks []swarm.Task) string {
	if len(tasks) == 0 {
		return "no task"
	}
	newest := tasks[0]
	for _, t := range tasks[1:] {
		if t.CreatedAt.After(newest.CreatedAt) {
			newest = t
		}
	}
	return taskMessage(newest)
}

// tail formats the end of a process's stderr for an error message.
func tail(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return "; stderr: " + s
}

// publishedManifest is the name, next to a partition set's manifest, of
// the copy that names every partition file by its published URL.
const publishedManifest = "manifest.published.json"

// publishPartitionSet publishes every partition file of the set whose
// manifest is at path, then a copy of the manifest naming the files by
// their URLs (a Publisher's URLs need not lie next to each other), and
// returns that copy's URL and digest.
func (r *Runtime) publishPartitionSet(ctx context.Context, path string) (string, string, error) {
	dir := filepath.Dir(path)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("partition set: %w", err)
	}
	var man slice.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return "", "", fmt.Errorf("partition set %s: %w", path, err)
	}
	for i := range man.Partitions {
		p := &man.Partitions[i]
		u, err := r.cfg.Artifacts.Publish(ctx, filepath.Join(dir, p.File), p.SHA256)
		if err != nil {
			return "", "", fmt.Errorf("publish partition %d of %s: %w", p.Index, path, err)
		}
		p.File = u
	}
	js, err := json.MarshalIndent(&man, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("partition set %s: %w", path, err)
	}
	js = append(js, '\n')
	sum := sha256.Sum256(js)
	digest := hex.EncodeToString(sum[:])
	out := filepath.Join(dir, publishedManifest)
	if err := store.WriteFileAtomic(out, js); err != nil {
		return "", "", fmt.Errorf("partition set: %w", err)
	}
	u, err := r.cfg.Artifacts.Publish(ctx, out, digest)
	if err != nil {
		return "", "", fmt.Errorf("publish manifest %s: %w", out, err)
	}
	return u, digest, nil
}
