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

	"github.com/papdl/papdl/apis/v1alpha1"
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

// checkWorkloadName accepts only names runtime.WorkloadName makes for a
// valid model name (papdl-<model>-p<i>, papdl-<model>-gateway): nothing
// else ever becomes a record or log path.
func checkWorkloadName(name string) error {
	rest, ok := strings.CutPrefix(name, "papdl-")
	if ok {
		if model, cut := strings.CutSuffix(rest, "-gateway"); cut {
			rest = model
		} else if i := strings.LastIndex(rest, "-p"); i > 0 && isDigits(rest[i+2:]) {
			rest = rest[:i]
		} else {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("workload name %q is not papdl-<model>-p<index> or papdl-<model>-gateway", truncate(name))
	}
	if err := v1alpha1.ValidateName(rest); err != nil {
		return fmt.Errorf("workload name %q: model %w", truncate(name), err)
	}
	return nil
}

// checkWorkload checks that w's name is the one its model and partition
// make, and that the workload it sends to is of the same model.
func checkWorkload(w runtime.Workload) error {
	if err := checkWorkloadName(w.Name); err != nil {
		return err
	}
	if want := runtime.WorkloadName(w.Model, w.Partition); w.Name != want {
		return fmt.Errorf("workload %s: model %q and partition %d name it %q", w.Name, truncate(w.Model), w.Partition, truncate(want))
	}
	if err := checkWorkloadName(w.Next); err != nil {
		return fmt.Errorf("workload %s: next: %w", w.Name, err)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s == "0" || s[0] != '0'
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

func (r *Runtime) recordPath(name string) (string, error) {
	if err := checkWorkloadName(name); err != nil {
		return "", err
	}
	return filepath.Join(r.cfg.Dir, "workloads", name+".json"), nil
}

func (r *Runtime) logPath(name string) (string, error) {
	if err := checkWorkloadName(name); err != nil {
		return "", err
	}
	return filepath.Join(r.cfg.Dir, "logs", name+".log"), nil
}

// load reads a workload's record (r.mu held); a damaged one is recovered:
// rebuilt from the workload's process, or dropped.
func (r *Runtime) load(name string) (*record, error) {
	rec, err := r.readRecord(name)
	if errors.Is(err, store.ErrCorrupt) {
		return r.recoverRecord(name, err), nil
	}
	return rec, err
}

// readRecord reads a workload's record: nil when there is none, an error
// wrapping store.ErrCorrupt when it is damaged.
func (r *Runtime) readRecord(name string) (*record, error) {
	path, err := r.recordPath(name)
	if err != nil {
		return nil, err
	}
	var rec record
	found, err := store.ReadJSON(path, &rec)
	if err != nil || !found {
		return nil, err
	}
	if rec.Workload.Name != name {
		return nil, fmt.Errorf("%s: %w: it records workload %q", path, store.ErrCorrupt, rec.Workload.Name)
	}
	return &rec, nil
}

// recordNames lists the workloads that have records; files that no
// workload name makes are skipped with a warning.
func (r *Runtime) recordNames() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(r.cfg.Dir, "workloads"))
	if err != nil {
		return nil, fmt.Errorf("list workload records: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		if err := checkWorkloadName(name); err != nil {
			r.cfg.Log.Warn("ignoring a file in the workload records that no workload name makes",
				zap.String("file", e.Name()), zap.Error(err))
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

func (r *Runtime) records() ([]*record, error) {
	names, err := r.recordNames()
	if err != nil {
		return nil, err
	}
	var out []*record
	for _, name := range names {
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
			o.Message = "process exited: " + r.lastLogLine(rec.Workload.Name)
		}
		out = append(out, o)
	}
	return out, nil
}

// Apply implements runtime.Runtime.
func (r *Runtime) Apply(ctx context.Context, w runtime.Workload) (bool, error) {
	if err := checkWorkload(w); err != nil {
		return false, err
	}
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
	if err := r.writeRecord(rec); err != nil {
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
	path, err := r.recordPath(name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if logPath, err := r.logPath(name); err == nil {
		_ = os.Remove(logPath)
	}
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
	for _, rec := range recs {
		if model == "" || rec.Workload.Model == model {
			errs = append(errs, r.removeLocked(rec.Workload.Name))
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

func (r *Runtime) writeRecord(rec *record) error {
	path, err := r.recordPath(rec.Workload.Name)
	if err != nil {
		return err
	}
	return store.WriteJSON(path, rec)
}

// lastLogLine is the last line of a workload's log.
func (r *Runtime) lastLogLine(name string) string {
	path, err := r.logPath(name)
	if err != nil {
		return "no log: " + err.Error()
	}
	return lastLine(path)
}
