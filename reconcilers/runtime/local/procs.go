package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// Every process the runtime starts carries these variables in its
// environment, so that it can be found in /proc and told apart from other
// runtimes' processes even when its record is lost or damaged.
const (
	// EnvRuntimeDir is the runtime's directory (Config.Dir).
	EnvRuntimeDir = "PAPDL_RUNTIME_DIR"
	// EnvModel is the model the process works for.
	EnvModel = "PAPDL_MODEL"
	// EnvTask is partition, gateway, bench or probe.
	EnvTask = "PAPDL_TASK"
	// EnvWorkload is a workload process's workload name.
	EnvWorkload = "PAPDL_WORKLOAD"
	// EnvWorkloadSpec is a workload process's runtime.Workload as JSON, and
	// EnvWorkloadHash its hash: enough to rebuild its record.
	EnvWorkloadSpec = "PAPDL_WORKLOAD_SPEC"
	EnvWorkloadHash = "PAPDL_WORKLOAD_HASH"
)

// Tasks of the benchmark processes (workloads carry their role).
const (
	taskBench = "bench"
	taskProbe = "probe"
)

// identityEnv is the environment that makes a process of this runtime
// findable.
func (r *Runtime) identityEnv(task, model string) []string {
	return []string{EnvRuntimeDir + "=" + r.cfg.Dir, EnvModel + "=" + model, EnvTask + "=" + task}
}

// workloadEnv is identityEnv plus what rebuilds the record of rec.
func (r *Runtime) workloadEnv(rec *record) []string {
	spec, err := json.Marshal(rec.Workload)
	if err != nil {
		panic(fmt.Sprintf("local: marshal workload: %v", err)) // plain struct: cannot fail
	}
	return append(r.identityEnv(rec.Workload.Role, rec.Workload.Model),
		EnvWorkload+"="+rec.Workload.Name, EnvWorkloadSpec+"="+string(spec), EnvWorkloadHash+"="+rec.Hash)
}

// proc is a live process of this runtime, found in /proc.
type proc struct {
	pid     int
	cmdline []string
	env     map[string]string // the PAPDL_ variables only
}

func (p proc) String() string {
	what := p.env[EnvTask]
	if w := p.env[EnvWorkload]; w != "" {
		what = w
	} else if m := p.env[EnvModel]; m != "" {
		what += " of model " + m
	}
	return fmt.Sprintf("pid %d (%s)", p.pid, what)
}

// procs lists the live (not zombie) processes whose environment names this
// runtime's directory. Processes of other users are not readable and are
// skipped.
func (r *Runtime) procs() ([]proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	self := os.Getpid()
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(environ, []byte(EnvRuntimeDir+"=")) {
			continue
		}
		env := map[string]string{}
		for _, kv := range bytes.Split(environ, []byte{0}) {
			if k, v, ok := strings.Cut(string(kv), "="); ok && strings.HasPrefix(k, "PAPDL_") {
				env[k] = v
			}
		}
		if env[EnvRuntimeDir] != r.cfg.Dir || zombie(pid) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		out = append(out, proc{pid: pid, cmdline: strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"), env: env})
	}
	return out, nil
}

// zombie reports whether pid has exited and awaits its parent's wait, or
// is gone.
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// rebuild makes the record of a workload process from its environment and
// command line.
func (r *Runtime) rebuild(p proc) (*record, error) {
	name := p.env[EnvWorkload]
	var w runtime.Workload
	if err := json.Unmarshal([]byte(p.env[EnvWorkloadSpec]), &w); err != nil {
		return nil, fmt.Errorf("%s: workload in its environment: %w", p, err)
	}
	if w.Name != name {
		return nil, fmt.Errorf("%s: its environment names workload %q", p, w.Name)
	}
	if err := checkWorkload(w); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(p.cmdline) < 2 || p.cmdline[0] != r.cfg.NodeBinary {
		return nil, fmt.Errorf("%s: runs %q, not %s", p, p.cmdline[0], r.cfg.NodeBinary)
	}
	rec := &record{Workload: w, Hash: p.env[EnvWorkloadHash], PID: p.pid, Args: p.cmdline[1:], Env: r.envFor(w.Node, w.MemoryReservation),
		StartedAt: time.Now()}
	if rec.Hash == "" {
		rec.Hash = w.Hash()
	}
	var err error
	if rec.Listen, err = portFlag(rec.Args, "--listen"); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if w.Role == runtime.RoleGateway {
		if rec.Return, err = portFlag(rec.Args, "--return-listen"); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return rec, nil
}

// portFlag is the port of a host:port flag in args.
func portFlag(args []string, flag string) (int, error) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			_, port, ok := strings.Cut(args[i+1], ":")
			if n, err := strconv.Atoi(port); ok && err == nil && n > 0 && n < 65536 {
				return n, nil
			}
			return 0, fmt.Errorf("flag %s %q has no port", flag, args[i+1])
		}
	}
	return 0, fmt.Errorf("no flag %s", flag)
}

// recoverRecord handles the damaged record of a workload (r.mu held): the
// record is moved aside, and rebuilt from the workload's process when one
// runs and carries its definition; a process that does not is stopped. It
// returns the rebuilt record, or nil when there is none.
func (r *Runtime) recoverRecord(name string, cause error) *record {
	log := r.cfg.Log.With(zap.String("workload", name))
	if path, err := r.recordPath(name); err == nil {
		if aside, err := store.MoveAside(path); err != nil {
			log.Error("moving a damaged workload record aside failed", zap.Error(err))
		} else {
			log.Warn("workload record is damaged: moved aside, rebuilding it from the running process",
				zap.String("movedTo", aside), zap.NamedError("cause", cause))
		}
	}
	ps, err := r.procs()
	if err != nil {
		log.Error("scanning processes for a damaged workload record failed", zap.Error(err))
		return nil
	}
	var rebuilt *record
	for _, p := range ps {
		if p.env[EnvWorkload] != name {
			continue
		}
		if rebuilt == nil {
			rec, err := r.rebuild(p)
			if err == nil {
				if err = r.writeRecord(rec); err == nil {
					rebuilt = rec
					log.Warn("workload record rebuilt from its process", zap.Int("pid", p.pid))
					continue
				}
			}
			log.Warn("workload process cannot be adopted: stopping it", zap.Int("pid", p.pid), zap.Error(err))
		} else {
			log.Warn("a second process of the workload: stopping it", zap.Int("pid", p.pid))
		}
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	if rebuilt == nil {
		log.Warn("workload record dropped: no process of it runs; the next apply starts it again")
	}
	return rebuilt
}

// AdoptReport says what Adopt found.
type AdoptReport struct {
	// Adopted are workloads whose records were missing, damaged or stale
	// and were rebuilt from their running processes.
	Adopted []string
	// Killed are processes stopped as orphans: benchmarks and probes of an
	// earlier controller, duplicates of a workload, and processes that
	// cannot be adopted.
	Killed []string
	// Dropped are damaged records of workloads that no longer run.
	Dropped []string
}

// Adopt makes the records match the processes that run: a controller calls
// it once at start, holding the state directory's lock, before anything
// else uses the runtime. A workload process without a usable record is
// adopted (its record rebuilt from its environment); orphaned benchmark
// and probe processes (their controller was killed), duplicates and
// processes that cannot be adopted are killed; damaged records of
// workloads that do not run are dropped.
func (r *Runtime) Adopt(ctx context.Context) (AdoptReport, error) {
	var rep AdoptReport
	r.mu.Lock()
	defer r.mu.Unlock()
	ps, err := r.procs()
	if err != nil {
		return rep, err
	}
	kill := func(p proc, why string) {
		r.cfg.Log.Warn("stopping an orphaned process", zap.Stringer("process", p), zap.String("why", why))
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
		rep.Killed = append(rep.Killed, p.String()+": "+why)
	}
	kept := map[string]int{}
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		name := p.env[EnvWorkload]
		if name == "" {
			kill(p, "a benchmark process of an earlier controller")
			continue
		}
		if pid, dup := kept[name]; dup {
			kill(p, fmt.Sprintf("a second process of workload %s (pid %d is kept)", name, pid))
			continue
		}
		rec, err := r.readRecord(name)
		if err == nil && rec != nil && rec.PID == p.pid {
			kept[name] = p.pid
			continue
		}
		if err == nil && rec != nil && rec.PID != 0 && r.alive(rec) {
			kill(p, fmt.Sprintf("a second process of workload %s (its record names pid %d)", name, rec.PID))
			continue
		}
		adopted, rerr := r.rebuild(p)
		if rerr == nil {
			if rec != nil {
				adopted.Restarts = rec.Restarts
			}
			rerr = r.writeRecord(adopted)
		}
		if rerr != nil {
			kill(p, "cannot be adopted: "+rerr.Error())
			continue
		}
		kept[name] = p.pid
		why := "no record"
		if err != nil {
			why = "a damaged record"
		} else if rec != nil {
			why = fmt.Sprintf("a record naming pid %d", rec.PID)
		}
		r.cfg.Log.Warn("workload process adopted", zap.String("workload", name), zap.Int("pid", p.pid), zap.String("had", why))
		rep.Adopted = append(rep.Adopted, fmt.Sprintf("%s: %s had %s", name, p, why))
	}
	// Damaged records of workloads that do not run.
	names, err := r.recordNames()
	if err != nil {
		return rep, err
	}
	for _, name := range names {
		if _, ok := kept[name]; ok {
			continue
		}
		if _, err := r.readRecord(name); errors.Is(err, store.ErrCorrupt) {
			if path, perr := r.recordPath(name); perr == nil {
				if _, err := store.MoveAside(path); err != nil {
					return rep, err
				}
			}
			r.cfg.Log.Warn("damaged workload record dropped: no process of it runs", zap.String("workload", name), zap.Error(err))
			rep.Dropped = append(rep.Dropped, name)
		}
	}
	return rep, nil
}
