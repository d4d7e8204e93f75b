package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// child is a process this runtime started and reaps.
type child struct {
	pid  int
	done chan struct{}
}

// args builds a workload's papdl-node command line.
func (r *Runtime) args(w runtime.Workload, listen, ret int) ([]string, error) {
	creds, err := r.ensureCredentials(w.Model)
	if err != nil {
		return nil, err
	}
	switch w.Role {
	case runtime.RolePartition:
		next, err := r.addressOfNext(w)
		if err != nil {
			return nil, err
		}
		ret, err := r.addressOfName(w.Model, runtime.WorkloadName(w.Model, -1))
		if err != nil {
			return nil, err
		}
		return []string{"partition", "--manifest", w.ManifestPath, "--index", strconv.Itoa(w.Partition),
			"--partition", w.ArtifactPath, "--sha256", w.ArtifactSHA256,
			"--listen", fmt.Sprintf("127.0.0.1:%d", listen), "--next", next, "--return", ret, "--credentials", creds}, nil
	case runtime.RoleGateway:
		// The gateway outlives revisions: where its chain is comes by
		// Route, not on its command line.
		args := []string{"gateway",
			"--listen", fmt.Sprintf("127.0.0.1:%d", listen), "--return-listen", fmt.Sprintf("127.0.0.1:%d", ret),
			"--model-name", w.Model, "--credentials", creds}
		if w.TokenFile != "" {
			args = append(args, "--token-file", w.TokenFile)
		}
		return args, nil
	}
	return nil, fmt.Errorf("workload %s: unknown role %q", w.Name, w.Role)
}

// addressOfNext resolves w.Next.
func (r *Runtime) addressOfNext(w runtime.Workload) (string, error) {
	return r.addressOfName(w.Model, w.Next)
}

// addressOfName resolves the upstream address of a workload of model; one
// that does not exist yet gets a port reserved now, so the chain can be
// started in any order.
func (r *Runtime) addressOfName(model, name string) (string, error) {
	if addr, err := r.addressOf(name); err == nil {
		return addr, nil
	}
	// Reserve a record for the next workload with only its ports, so that
	// its Apply later keeps them.
	port, err := freePort()
	if err != nil {
		return "", err
	}
	placeholder := &record{Workload: runtime.Workload{Name: name, Model: model}}
	if name == runtime.WorkloadName(model, -1) {
		placeholder.Workload.Role = runtime.RoleGateway
		placeholder.Return = port
	} else {
		placeholder.Workload.Role = runtime.RolePartition
		placeholder.Listen = port
	}
	if err := r.writeRecord(placeholder); err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}

// start launches the process of rec in its own session, logging to a file.
func (r *Runtime) start(rec *record) error {
	logPath, err := r.logPath(rec.Workload.Name)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.cfg.NodeBinary, rec.Args...)
	cmd.Env = append(append(os.Environ(), rec.Env...), r.workloadEnv(rec)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", rec.Workload.Name, err)
	}
	rec.PID = cmd.Process.Pid
	rec.StartedAt = time.Now()
	if err := r.cg.add(rec.Workload.Node, rec.PID); err != nil {
		r.cfg.Log.Warn("workload runs outside its node's cgroup", zap.String("workload", rec.Workload.Name), zap.Error(err))
	}
	c := &child{pid: rec.PID, done: make(chan struct{})}
	r.children[rec.Workload.Name] = c
	model := rec.Workload.Model
	go func() {
		err := cmd.Wait()
		logf.Close()
		close(c.done)
		r.cfg.Log.Info("workload process exited", zap.String("workload", rec.Workload.Name), zap.Int("pid", c.pid), zap.Error(err))
		r.mu.Lock()
		if r.children[rec.Workload.Name] == c {
			delete(r.children, rec.Workload.Name)
		}
		notify := r.notify
		r.mu.Unlock()
		if notify != nil {
			notify(model)
		}
	}()
	r.cfg.Log.Info("workload started", zap.String("workload", rec.Workload.Name), zap.Int("pid", rec.PID),
		zap.Strings("args", rec.Args))
	return nil
}

// stopHandle is what stop needs of a process, taken under r.mu so that
// stop can wait without it.
type stopHandle struct {
	pid     int
	cmdline string // /proc/<pid>/cmdline while it is the same process
	child   *child // set when this runtime reaps it
}

// handle is the stopHandle of rec's process (r.mu held).
func (r *Runtime) handle(rec *record) *stopHandle {
	h := &stopHandle{pid: rec.PID, cmdline: r.cmdline(rec)}
	if c, ok := r.children[rec.Workload.Name]; ok && c.pid == rec.PID {
		h.child = c
	}
	return h
}

func (r *Runtime) cmdline(rec *record) string {
	return strings.Join(append([]string{r.cfg.NodeBinary}, rec.Args...), "\x00") + "\x00"
}

// stop ends a process: SIGTERM, then SIGKILL after 5 seconds or when ctx
// ends (then it returns ctx's error). It does not need r.mu.
func (r *Runtime) stop(ctx context.Context, h *stopHandle) error {
	if !h.alive() {
		return nil
	}
	_ = syscall.Kill(h.pid, syscall.SIGTERM)
	grace := time.NewTimer(5 * time.Second)
	defer grace.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	var done <-chan struct{}
	if h.child != nil {
		done = h.child.done
	}
	var err error
wait:
	for {
		select {
		case <-done:
			return nil
		case <-poll.C:
			if h.child == nil && !h.alive() {
				return nil
			}
		case <-grace.C:
			break wait
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		}
	}
	_ = syscall.Kill(h.pid, syscall.SIGKILL)
	if done != nil {
		<-done // a killed child is reaped at once
	}
	return err
}

// alive reports whether the process still runs: not reaped, not a zombie,
// and still running the same command line.
func (h *stopHandle) alive() bool {
	if h.child != nil {
		select {
		case <-h.child.done:
			return false
		default:
			return true
		}
	}
	return procRuns(h.pid, h.cmdline)
}

func procRuns(pid int, cmdline string) bool {
	if pid <= 0 || zombie(pid) {
		return false
	}
	got, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && string(got) == cmdline
}

// alive reports whether rec's process runs (r.mu held): the pid exists, is
// not a zombie and runs the recorded command line.
func (r *Runtime) alive(rec *record) bool {
	if rec.PID <= 0 {
		return false
	}
	return r.handle(rec).alive()
}

// Watch calls notify with a model's name whenever one of its processes
// exits, including processes adopted from an earlier controller (polled).
func (r *Runtime) Watch(ctx context.Context, notify func(model string)) {
	r.mu.Lock()
	r.notify = notify
	r.mu.Unlock()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	was := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		recs, _ := r.records()
		var dead []string
		for _, rec := range recs {
			if rec.PID == 0 {
				continue
			}
			up := r.alive(rec)
			if was[rec.Workload.Name] && !up {
				dead = append(dead, rec.Workload.Model)
			}
			was[rec.Workload.Name] = up
		}
		r.mu.Unlock()
		for _, m := range dead {
			notify(m)
		}
	}
}
