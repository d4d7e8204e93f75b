// Package memory is an in-memory runtime.Runtime for tests of the
// controller's decisions. Workloads are records, nodes are declared by the
// test, benchmarks are synthetic (derived from the units' weights), and
// every gateway is an HTTP handler on one shared test server that answers
// as a real gateway would: readiness with its identity headers, and
// predictions by running the partitions that are deployed now, in process.
// It is not a way to run models; the local and swarm runtimes are.
package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// Runtime is the in-memory runtime. Use New and Close.
type Runtime struct {
	srv *httptest.Server

	mu        sync.Mutex
	nodes     []runtime.Node
	workloads map[string]*workload
	// ports maps a published port to the gateway bound to it: the first
	// one applied keeps it, as with a real socket.
	ports map[int]string
	// starts counts, per workload name, how often it was (re)started.
	starts map[string]int
	// benchmarks counts Benchmark calls.
	benchmarks int
	// gate, when set, holds every benchmark until it is closed or the
	// benchmark's context ends.
	gate chan struct{}
	// benchmarking is signalled when a benchmark starts waiting at the gate.
	benchmarking chan struct{}
}

// HoldBenchmarks makes benchmarks wait until release is called (or their
// context ends); started receives a value as each one starts waiting.
func (r *Runtime) HoldBenchmarks() (started <-chan struct{}, release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gate, r.benchmarking = make(chan struct{}), make(chan struct{}, 16)
	gate := r.gate
	return r.benchmarking, func() { close(gate) }
}

type workload struct {
	w       runtime.Workload
	hash    string
	running bool
	message string
	since   time.Time
	// route (gateways) is where its chain is: lost when it restarts.
	route *chain.RouteSpec
}

// New returns a runtime with the given nodes and starts its HTTP server.
func New(nodes ...runtime.Node) *Runtime {
	r := &Runtime{nodes: slices.Clone(nodes), workloads: map[string]*workload{}, ports: map[int]string{},
		starts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	return r
}

// Close stops the HTTP server.
func (r *Runtime) Close() { r.srv.Close() }

// SetNodes replaces the node list (a node going down: Ready false).
func (r *Runtime) SetNodes(nodes ...runtime.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nodes = slices.Clone(nodes)
}

// Kill marks a workload's process as exited.
func (r *Runtime) Kill(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.workloads[name]; ok {
		w.running, w.message = false, "killed"
		r.releasePort(name)
	}
}

// Starts returns how often each workload was started so far.
func (r *Runtime) Starts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.starts)
}

// Benchmarks returns how many benchmarks ran.
func (r *Runtime) Benchmarks() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.benchmarks
}

// Name implements runtime.Runtime.
func (r *Runtime) Name() string { return "memory" }

// Nodes implements runtime.Runtime.
func (r *Runtime) Nodes(ctx context.Context) ([]runtime.Node, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.nodes), nil
}

// List implements runtime.Runtime.
func (r *Runtime) List(ctx context.Context, model string) ([]runtime.Observed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.Observed
	for _, w := range r.workloads {
		if model == "" || w.w.Model == model {
			out = append(out, runtime.Observed{Workload: w.w, Hash: w.hash, Running: w.running,
				Message: w.message, Since: w.since})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Apply implements runtime.Runtime.
func (r *Runtime) Apply(ctx context.Context, w runtime.Workload) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	hash := w.Hash()
	if old, ok := r.workloads[w.Name]; ok && old.hash == hash && old.running {
		return false, nil
	}
	if w.Role == runtime.RolePartition {
		if _, err := os.Stat(w.ArtifactPath); err != nil {
			return false, fmt.Errorf("workload %s: artifact: %w", w.Name, err)
		}
	}
	r.releasePort(w.Name)
	nw := &workload{w: w, hash: hash, running: true, since: time.Now()}
	if w.Role == runtime.RoleGateway {
		if holder, taken := r.ports[w.Port]; taken && holder != w.Name {
			nw.running = false
			nw.message = fmt.Sprintf("listen tcp 127.0.0.1:%d: bind: address already in use", w.Port)
		} else {
			r.ports[w.Port] = w.Name
		}
	}
	r.workloads[w.Name] = nw
	r.starts[w.Name]++
	return true, nil
}

func (r *Runtime) releasePort(name string) {
	for port, holder := range r.ports {
		if holder == name {
			delete(r.ports, port)
		}
	}
}

// Remove implements runtime.Runtime.
func (r *Runtime) Remove(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.releasePort(name)
	delete(r.workloads, name)
	return nil
}

// Clean implements runtime.Runtime.
func (r *Runtime) Clean(ctx context.Context, model string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, w := range r.workloads {
		if model == "" || w.w.Model == model {
			r.releasePort(name)
			delete(r.workloads, name)
		}
	}
	return nil
}

// Endpoint implements runtime.Runtime: the shared server, routed by port.
func (r *Runtime) Endpoint(ctx context.Context, w runtime.Workload) (string, error) {
	if w.Port == 0 {
		return "", fmt.Errorf("workload %s publishes no port", w.Name)
	}
	return r.srv.URL + "/port/" + strconv.Itoa(w.Port), nil
}

// Benchmark implements runtime.Runtime with synthetic measurements: a unit
// takes 100µs plus 1ns per weight byte, divided by the node's CPUs; links
// have 100µs RTT and 100 MB/s.
func (r *Runtime) Benchmark(ctx context.Context, req runtime.BenchmarkRequest) (*runtime.BenchmarkResult, error) {
	man, err := slice.ReadManifest(filepath.Dir(req.ManifestPath))
	if err != nil {
		return nil, fmt.Errorf("memory benchmark: %w", err)
	}
	r.mu.Lock()
	r.benchmarks++
	gate, started := r.gate, r.benchmarking
	r.mu.Unlock()
	if gate != nil {
		started <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	prof := &clusterprofile.ClusterProfile{}
	for _, n := range req.Nodes {
		pn := clusterprofile.Node{ID: n.ID, Hostname: n.Hostname, Labels: n.Labels, CPUs: runtime.CPUCount(n.CPUs),
			MemoryBytes: n.MemoryBytes, FreeMemoryBytes: n.MemoryBytes}
		for _, u := range man.Units {
			pn.Units = append(pn.Units, clusterprofile.UnitMeasurement{Name: u.Name,
				Seconds:     (1e-4 + 1e-9*float64(u.WeightBytes)) / n.CPUs,
				MemoryBytes: 2*u.WeightBytes + u.OutputBytes})
		}
		prof.Nodes = append(prof.Nodes, pn)
		for _, m := range req.Nodes {
			if m.ID != n.ID {
				prof.Links = append(prof.Links, clusterprofile.Link{From: n.ID, To: m.ID, RTTSeconds: 1e-4, BandwidthBytesPerSecond: 1e8})
			}
		}
	}
	return &runtime.BenchmarkResult{Profile: prof}, nil
}

// gatewayOn returns the running gateway bound to port and the partitions
// of its model, by index.
func (r *Runtime) gatewayOn(port int) (*workload, map[int]*workload, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name, ok := r.ports[port]
	if !ok {
		return nil, nil, fmt.Errorf("connection refused: nothing listens on port %d", port)
	}
	gw := r.workloads[name]
	if gw == nil || !gw.running {
		return nil, nil, errors.New("connection refused: the gateway is not running")
	}
	if gw.route == nil {
		return gw, nil, nil
	}
	return gw, r.chainFrom(gw.route.First), nil
}

// chainFrom follows the running partitions from the one named first to the
// gateway, by their Next names.
func (r *Runtime) chainFrom(first string) map[int]*workload {
	parts := map[int]*workload{}
	for name := first; ; {
		w, ok := r.workloads[name]
		if !ok || !w.running || w.w.Role != runtime.RolePartition || parts[w.w.Partition] != nil {
			return parts
		}
		parts[w.w.Partition] = w
		name = w.w.Next
	}
}

// Route implements runtime.Runtime: the gateway takes the route when the
// chain from first runs the manifest's partitions, as a real one takes it
// once a ping goes through.
func (r *Runtime) Route(ctx context.Context, gw, first runtime.Workload, manifestSHA256 string) (chain.RouteStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.workloads[gw.Name]
	if !ok || !g.running {
		return chain.RouteStatus{}, fmt.Errorf("route of %s: connection refused: the gateway is not running", gw.Name)
	}
	spec := chain.RouteSpec{Manifest: first.ManifestPath, ManifestSHA256: manifestSHA256, First: first.Name, Issued: time.Now().UnixNano()}
	st := chain.RouteStatus{Current: g.route}
	man, err := slice.ReadManifest(filepath.Dir(first.ManifestPath))
	if err == nil && man.SHA256 != manifestSHA256 {
		err = fmt.Errorf("manifest %s: digest %s, want %s", first.ManifestPath, man.SHA256, manifestSHA256)
	}
	if err == nil {
		err = chainWhole(man, r.chainFrom(first.Name))
	}
	if err != nil {
		st.Pending, st.Error = &spec, err.Error()
		return st, nil
	}
	g.route = &spec
	st.Current = &spec
	return st, nil
}
