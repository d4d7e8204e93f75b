package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// Config configures the local runtime.
type Config struct {
	// NodeBinary is the papdl-node executable.
	NodeBinary string
	// Dir holds the runtime's records, port table and process logs.
	Dir string
	// Simulated are extra nodes besides the host.
	Simulated []SimulatedNode
	Log       *zap.Logger
}

// Runtime runs workloads as local processes.
type Runtime struct {
	cfg Config
	mu  sync.Mutex // guards the records, ports and children below
	// children are the processes this runtime started and still waits for.
	children map[string]*child
	notify   func(model string)
}

// record is what the runtime keeps per workload on disk.
type record struct {
	Workload  runtime.Workload `json:"workload"`
	Hash      string           `json:"hash"`
	PID       int              `json:"pid"`
	Args      []string         `json:"args"`
	Env       []string         `json:"env,omitempty"`
	Listen    int              `json:"listen"`
	Return    int              `json:"return,omitempty"`
	StartedAt time.Time        `json:"startedAt"`
	Restarts  int              `json:"restarts"`
}

// New opens (and adopts the processes recorded in) dir.
func New(cfg Config) (*Runtime, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if _, err := os.Stat(cfg.NodeBinary); err != nil {
		return nil, fmt.Errorf("papdl-node binary: %w (run make build)", err)
	}
	for _, sub := range []string{"workloads", "logs"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("local runtime: %w", err)
		}
	}
	return &Runtime{cfg: cfg, children: map[string]*child{}}, nil
}

// Name implements runtime.Runtime.
func (r *Runtime) Name() string { return "local" }

// Nodes implements runtime.Runtime.
func (r *Runtime) Nodes(ctx context.Context) ([]runtime.Node, error) { return r.nodes(), nil }

func (r *Runtime) recordPath(name string) string {
	return filepath.Join(r.cfg.Dir, "workloads", name+".json")
}

func (r *Runtime) logPath(name string) string { return filepath.Join(r.cfg.Dir, "logs", name+".log") }

func (r *Runtime) load(name string) (*record, error) {
	var rec record
	found, err := store.ReadJSON(r.recordPath(name), &rec)
	if err != nil || !found {
		return nil, err
	}
	return &rec, nil
}

func (r *Runtime) records() ([]*record, error) {
	entries, err := os.ReadDir(filepath.Join(r.cfg.Dir, "workloads"))
	if err != nil {
		return nil, err
	}
	var out []*record
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		rec, err := r.load(name)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Workload.Name < out[j].Workload.Name })
	return out, nil
}

// List implements runtime.Runtime.
func (r *Runtime) List(ctx context.Context, model string) ([]runtime.Observed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs, err := r.records()
	if err != nil {
		return nil, err
	}
	var out []runtime.Observed
	for _, rec := range recs {
		if (model != "" && rec.Workload.Model != model) || rec.PID == 0 {
			continue // another model's, or a placeholder reserving ports
		}
		o := runtime.Observed{Workload: rec.Workload, Hash: rec.Hash, Restarts: rec.Restarts, Since: rec.StartedAt}
		o.Running = r.alive(rec)
		if !o.Running {
			o.Message = "process exited: " + lastLine(r.logPath(rec.Workload.Name))
		}
		out = append(out, o)
	}
	return out, nil
}

// Apply implements runtime.Runtime.
func (r *Runtime) Apply(ctx context.Context, w runtime.Workload) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, err := r.load(w.Name)
	if err != nil {
		return false, err
	}
	hash := w.Hash()
	restarts := 0
	if old != nil {
		running := r.alive(old)
		if old.Hash == hash && running {
			return false, nil
		}
		if running {
			r.stop(old)
		} else if old.Hash == hash {
			restarts = old.Restarts + 1
		}
	}
	listen, ret, err := r.ports(w, old)
	if err != nil {
		return false, err
	}
	rec := &record{Workload: w, Hash: hash, Listen: listen, Return: ret, Restarts: restarts, Env: r.env(w.Node)}
	if rec.Args, err = r.args(w, listen, ret); err != nil {
		return false, err
	}
	if err := r.start(rec); err != nil {
		return false, err
	}
	if err := writeRecord(r.recordPath(w.Name), rec); err != nil {
		r.stop(rec)
		return false, err
	}
	return true, nil
}

// Remove implements runtime.Runtime.
func (r *Runtime) Remove(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.removeLocked(name)
}

func (r *Runtime) removeLocked(name string) error {
	rec, err := r.load(name)
	if err != nil || rec == nil {
		return err
	}
	r.stop(rec)
	if err := os.Remove(r.recordPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_ = os.Remove(r.logPath(name))
	return nil
}

// Clean implements runtime.Runtime.
func (r *Runtime) Clean(ctx context.Context, model string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs, err := r.records()
	if err != nil {
		return err
	}
	var errs []error
	models := map[string]bool{model: model != ""}
	for _, rec := range recs {
		if model == "" || rec.Workload.Model == model {
			errs = append(errs, r.removeLocked(rec.Workload.Name))
			models[rec.Workload.Model] = true
		}
	}
	for m, ok := range models {
		if ok {
			errs = append(errs, r.removeCredentials(m))
		}
	}
	return errors.Join(errs...)
}

// Endpoint implements runtime.Runtime.
func (r *Runtime) Endpoint(ctx context.Context, w runtime.Workload) (string, error) {
	if w.Port == 0 {
		return "", fmt.Errorf("workload %s publishes no port", w.Name)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", w.Port), nil
}

// ports returns the loopback ports of a workload: kept from its previous
// record, or newly allocated. The gateway listens on its published port and
// on a return port; a partition on one port.
func (r *Runtime) ports(w runtime.Workload, old *record) (listen, ret int, err error) {
	if w.Role == runtime.RoleGateway {
		listen = w.Port
		if old != nil && old.Return != 0 {
			return listen, old.Return, nil
		}
		ret, err = freePort()
		return listen, ret, err
	}
	if old != nil && old.Listen != 0 {
		return old.Listen, 0, nil
	}
	listen, err = freePort()
	return listen, 0, err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("allocate a loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// addressOf is where a workload of the same model listens for its
// upstream: a partition's port, or the gateway's return port.
func (r *Runtime) addressOf(name string) (string, error) {
	rec, err := r.load(name)
	if err != nil {
		return "", err
	}
	if rec == nil {
		return "", fmt.Errorf("workload %s is not running yet", name)
	}
	if rec.Workload.Role == runtime.RoleGateway {
		return fmt.Sprintf("127.0.0.1:%d", rec.Return), nil
	}
	return fmt.Sprintf("127.0.0.1:%d", rec.Listen), nil
}

func writeRecord(path string, rec *record) error { return store.WriteJSON(path, rec) }
