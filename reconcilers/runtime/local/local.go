package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
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
	// Caps says how the simulated nodes' limits are enforced: CapsAuto
	// (the default), CapsCgroup or CapsNone.
	Caps string
	Log  *zap.Logger
	// CrashBackoff is the first delay before restarting a workload that
	// exited soon after its previous start; it doubles with every such
	// restart up to MaxCrashBackoff. Defaults: 1s and 5m.
	CrashBackoff    time.Duration
	MaxCrashBackoff time.Duration
}

// crashResetAfter is how long a workload must have run for its next exit
// not to count as part of a crash loop.
const crashResetAfter = 10 * time.Minute

// Runtime runs workloads as local processes.
type Runtime struct {
	cfg Config
	mu  sync.Mutex // guards the records, ports, children and busy below; never held while waiting for a process
	// children are the processes this runtime started and still waits for.
	children map[string]*child
	// busy holds the workloads an Apply or Remove works on: the channel is
	// closed when it is done. It serialises the work on one workload while
	// the others go on.
	busy   map[string]chan struct{}
	notify func(model string)
	// cg enforces the simulated nodes' caps; nil when they are not
	// enforced (the nodes are then shown uncapped).
	cg *cgroups
	// httpClient sends routes to the gateways.
	httpClient *http.Client
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
	// CrashStreak counts restarts after exits that came soon after a start
	// (a crash loop); it sets the backoff before the next one.
	CrashStreak int `json:"crashStreak,omitempty"`
	// NextStart, while in the future, is when a crash-looping workload may
	// start again.
	NextStart time.Time `json:"nextStart,omitzero"`
}

// New opens (and adopts the processes recorded in) dir.
func New(cfg Config) (*Runtime, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if _, err := os.Stat(cfg.NodeBinary); err != nil {
		return nil, fmt.Errorf("papdl-node binary: %w (run make build)", err)
	}
	if err := checkSimulated(cfg.Simulated); err != nil {
		return nil, fmt.Errorf("local runtime: simulated nodes: %w", err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("local runtime: %w", err)
	}
	for _, sub := range []string{"workloads", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("local runtime: %w", err)
		}
	}
	if cfg.Dir, err = runtimeDir(dir); err != nil {
		return nil, fmt.Errorf("local runtime: %w", err)
	}
	if cfg.CrashBackoff <= 0 {
		cfg.CrashBackoff = time.Second
	}
	if cfg.MaxCrashBackoff <= 0 {
		cfg.MaxCrashBackoff = 5 * time.Minute
	}
	r := &Runtime{cfg: cfg, children: map[string]*child{}, busy: map[string]chan struct{}{},
		httpClient: &http.Client{Timeout: 5 * time.Second}}
	switch cfg.Caps {
	case "", CapsAuto, CapsCgroup:
		if len(cfg.Simulated) == 0 {
			break
		}
		cg, err := setupCgroups(cfg.Dir, cfg.Simulated)
		if err != nil && cfg.Caps == CapsCgroup {
			return nil, fmt.Errorf("local runtime: simulated nodes' caps: %w", err)
		}
		if err != nil {
			cfg.Log.Warn("simulated nodes run uncapped (cgroups unavailable): they are shown with the host's CPUs and memory", zap.Error(err))
		}
		r.cg = cg
	case CapsNone:
	default:
		return nil, fmt.Errorf("local runtime: caps %q: want %s, %s or %s", cfg.Caps, CapsAuto, CapsCgroup, CapsNone)
	}
	return r, nil
}

// Close releases what the runtime holds on the host and outlives no
// workload: the simulated nodes' cgroups that no process is in any more.
// Running workloads keep theirs, for the next runtime on this directory to
// adopt.
func (r *Runtime) Close() error { return r.cg.remove() }

// runtimeDir is the canonical name of a runtime directory: absolute,
// symbolic links resolved (when it exists). Processes are found by the
// directory in their environment and cgroups are named after it, whatever
// the caller's working directory.
func runtimeDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
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
		} else if i := strings.LastIndex(rest, "-p"); i > 0 && isTagged(rest[i+2:]) {
			rest = rest[:i]
		} else {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("workload name %q is not papdl-<model>-p<index>[-<tag>] or papdl-<model>-gateway", truncate(name))
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
	if want := runtime.WorkloadName(w.Model, w.Partition); w.Name != want && !runtime.HasPartitionName(w.Name, w.Model, w.Partition) {
		return fmt.Errorf("workload %s: model %q and partition %d name it %q", w.Name, truncate(w.Model), w.Partition, truncate(want))
	}
	if w.Next == "" && w.Role == runtime.RoleGateway {
		return nil // routed: its chain comes by Route
	}
	if err := checkWorkloadName(w.Next); err != nil {
		return fmt.Errorf("workload %s: next: %w", w.Name, err)
	}
	return nil
}

// isTagged is "<index>-<tag>" of a tagged partition name.
func isTagged(s string) bool {
	index, tag, ok := strings.Cut(s, "-")
	return ok && isDigits(index) && runtime.IsPartitionTag(tag)
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
	var listening map[int]bool // read once, when a live process needs it
	for _, rec := range recs {
		if (model != "" && rec.Workload.Model != model) || rec.PID == 0 {
			continue // another model's, or a placeholder reserving ports
		}
		o := runtime.Observed{Workload: rec.Workload, Hash: rec.Hash, Restarts: rec.Restarts, Since: rec.StartedAt}
		// Running means serving: the process runs and listens on its
		// ports, so a replaced workload is not reported up while it loads.
		switch alive := r.alive(rec); {
		case !alive:
			o.Message = r.exitMessage(rec, recs)
		case listening == nil:
			listening = listeningPorts()
			fallthrough
		default:
			if p := notListening(rec, listening); p != 0 {
				o.Message = fmt.Sprintf("starting: not listening on port %d yet", p)
			} else {
				o.Running = true
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// Apply implements runtime.Runtime. A workload that keeps exiting soon
// after it starts is restarted with exponential backoff: until its next
// start is due, Apply changes nothing and List says when that is.
func (r *Runtime) Apply(ctx context.Context, w runtime.Workload) (bool, error) {
	if err := checkWorkload(w); err != nil {
		return false, err
	}
	release, err := r.lockWorkload(ctx, w.Name)
	if err != nil {
		return false, err
	}
	defer release()

	r.mu.Lock()
	old, err := r.load(w.Name)
	if err != nil {
		r.mu.Unlock()
		return false, err
	}
	hash := w.Hash()
	restarts, streak := 0, 0
	var running *stopHandle
	if old != nil {
		switch {
		case r.alive(old) && old.Hash == hash:
			r.mu.Unlock()
			return false, nil
		case r.alive(old):
			running = r.handle(old)
		case old.Hash == hash && old.PID != 0:
			restarts = old.Restarts + 1
			now := time.Now()
			if now.Sub(old.StartedAt) < crashResetAfter {
				streak = old.CrashStreak + 1
			}
			if next := old.StartedAt.Add(r.backoff(streak)); now.Before(next) {
				if !old.NextStart.Equal(next) {
					old.NextStart = next
					err = r.writeRecord(old)
				}
				r.mu.Unlock()
				return false, err
			}
		}
	}
	r.mu.Unlock()

	if running != nil {
		if err := r.stop(ctx, running); err != nil {
			return false, fmt.Errorf("replace %s: %w", w.Name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	listen, ret, err := r.ports(w, old)
	if err != nil {
		return false, err
	}
	rec := &record{Workload: w, Hash: hash, Listen: listen, Return: ret, Restarts: restarts, CrashStreak: streak,
		Env: r.envFor(w.Node, w.MemoryReservation)}
	if rec.Args, err = r.args(w, listen, ret); err != nil {
		return false, err
	}
	if err := r.start(rec); err != nil {
		return false, err
	}
	if err := r.writeRecord(rec); err != nil {
		_ = syscall.Kill(rec.PID, syscall.SIGKILL)
		return false, err
	}
	return true, nil
}

// backoff is the delay between a start and the next one after streak
// quick exits in a row: none for the first, then CrashBackoff doubling up
// to MaxCrashBackoff.
func (r *Runtime) backoff(streak int) time.Duration {
	if streak <= 1 {
		return 0
	}
	d := r.cfg.CrashBackoff
	for i := 2; i < streak && d < r.cfg.MaxCrashBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxCrashBackoff)
}

// lockWorkload waits until no other Apply or Remove works on name, and
// marks it busy until release is called.
func (r *Runtime) lockWorkload(ctx context.Context, name string) (release func(), err error) {
	for {
		r.mu.Lock()
		ch, busy := r.busy[name]
		if !busy {
			ch = make(chan struct{})
			r.busy[name] = ch
			r.mu.Unlock()
			return func() {
				r.mu.Lock()
				delete(r.busy, name)
				r.mu.Unlock()
				close(ch)
			}, nil
		}
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Remove implements runtime.Runtime. When ctx ends while the process is
// being stopped, it is killed and the record kept, so a retry finishes.
func (r *Runtime) Remove(ctx context.Context, name string) error {
	if err := checkWorkloadName(name); err != nil {
		return err
	}
	release, err := r.lockWorkload(ctx, name)
	if err != nil {
		return err
	}
	defer release()
	r.mu.Lock()
	rec, err := r.load(name)
	if err != nil || rec == nil {
		r.mu.Unlock()
		return err
	}
	var running *stopHandle
	if r.alive(rec) {
		running = r.handle(rec)
	}
	r.mu.Unlock()
	if running != nil {
		if err := r.stop(ctx, running); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	path, err := r.recordPath(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if logPath, err := r.logPath(name); err == nil {
		_ = os.Remove(logPath)
	}
	return nil
}

// Clean implements runtime.Runtime: it removes the recorded workloads of
// model ("" for all), then stops every other process of this runtime's
// directory working for it, found by its environment: workloads whose
// records were lost, and benchmark and probe processes, also those of a
// controller that was killed.
func (r *Runtime) Clean(ctx context.Context, model string) error {
	r.mu.Lock()
	recs, err := r.records()
	r.mu.Unlock()
	if err != nil {
		return err
	}
	var errs []error
	// The credentials go first: a workload a running controller starts
	// again while this Clean stops the old ones then gets fresh ones, as
	// every later one does, never a mix of old and new.
	models := map[string]bool{model: model != ""}
	for _, rec := range recs {
		if model == "" || rec.Workload.Model == model {
			models[rec.Workload.Model] = true
		}
	}
	for m, ok := range models {
		if ok {
			errs = append(errs, r.removeCredentials(m))
		}
	}
	for _, rec := range recs {
		if model == "" || rec.Workload.Model == model {
			if err := r.Remove(ctx, rec.Workload.Name); err != nil {
				errs = append(errs, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	ps, err := r.procs()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, p := range ps {
		if model != "" && p.env[EnvModel] != model {
			continue
		}
		r.cfg.Log.Info("stopping a process without a record", zap.Stringer("process", p))
		if err := r.stop(ctx, &stopHandle{pid: p.pid, cmdline: strings.Join(p.cmdline, "\x00") + "\x00"}); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", p, err))
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
// record, else the port its running neighbours send to (so a workload whose
// record was removed or lost is found again where they expect it), else
// newly allocated. The gateway listens on its published port and on a
// return port; a partition on one port.
func (r *Runtime) ports(w runtime.Workload, old *record) (listen, ret int, err error) {
	if w.Role == runtime.RoleGateway {
		listen = w.Port
		if old != nil && old.Return != 0 {
			return listen, old.Return, nil
		}
		if p := r.expectedPort(w); p != 0 {
			return listen, p, nil
		}
		ret, err = freePort()
		return listen, ret, err
	}
	if old != nil && old.Listen != 0 {
		return old.Listen, 0, nil
	}
	if p := r.expectedPort(w); p != 0 {
		return p, 0, nil
	}
	listen, err = freePort()
	return listen, 0, err
}

// expectedPort is the port the other recorded workloads of w's model send
// to w on (a gateway: its return port), when it is free; else 0.
func (r *Runtime) expectedPort(w runtime.Workload) int {
	recs, err := r.records()
	if err != nil {
		return 0
	}
	for _, o := range recs {
		if o.Workload.Model != w.Model || o.Workload.Name == w.Name || o.PID == 0 {
			continue
		}
		flag := ""
		switch {
		case w.Role == runtime.RoleGateway && o.Workload.Role == runtime.RolePartition:
			flag = "--return"
		case o.Workload.Next == w.Name && o.Workload.Role == runtime.RolePartition:
			flag = "--next"
		case o.Workload.Next == w.Name && o.Workload.Role == runtime.RoleGateway:
			flag = "--first"
		default:
			continue
		}
		if p, err := portFlag(o.Args, flag); err == nil && portFree(p) {
			return p
		}
	}
	return 0
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
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
