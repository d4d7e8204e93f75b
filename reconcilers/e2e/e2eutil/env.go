package e2eutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

// controllerStopGrace is how long a controller has to exit after SIGTERM.
const controllerStopGrace = 30 * time.Second

// Env is what one test drives: its own temporary directory with a specs
// and a state directory, the store over the state directory, papdlctl run
// in that directory, and the controller it starts on them. Its methods fail
// the test when papdlctl or the store fail.
type Env struct {
	Dir   string       // the test's temporary directory; papdlctl runs there
	Specs string       // the controller's specs directory
	State string       // the controller's state directory
	Store *store.Store // over State

	t          testing.TB
	bin        Binaries
	pollEvery  time.Duration // how often waits check their condition
	controller *Controller   // the running controller; nil when none runs
	logs       []string      // the log of every controller started, in order
}

// NewEnv makes the test's directories and opens the store. Waits check
// their condition every pollEvery. The test's cleanup should call Close.
func NewEnv(t testing.TB, bin Binaries, pollEvery time.Duration) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{Dir: dir, Specs: filepath.Join(dir, "specs"), State: filepath.Join(dir, "state"),
		t: t, bin: bin, pollEvery: pollEvery}
	for _, d := range []string{e.Specs, e.State} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(e.State)
	if err != nil {
		t.Fatal(err)
	}
	e.Store = st
	return e
}

// StartController runs `papdlctl controller` on the test's directories in
// the background, with papdl-node as node binary, JSON logs to a file of
// its own (controller-N.log in Dir) and the runtime's flags in args.
func (e *Env) StartController(args ...string) {
	e.t.Helper()
	logPath := filepath.Join(e.Dir, fmt.Sprintf("controller-%d.log", len(e.logs)+1))
	args = append([]string{"controller", "--specs-dir", e.Specs, "--state-dir", e.State,
		"--node-binary", e.bin.Node, "--log-format", "json"}, args...)
	c, err := StartController(e.bin.Ctl, logPath, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.controller = c
	e.logs = append(e.logs, logPath)
}

// StopController stops the running controller, if any, which must exit
// cleanly (status 0) within 30 seconds of SIGTERM.
func (e *Env) StopController() {
	e.t.Helper()
	c := e.controller
	if c == nil {
		return
	}
	e.controller = nil
	if err := c.Stop(controllerStopGrace); err != nil {
		e.t.Error(err)
	}
}

// KillController crashes the running controller (SIGKILL), if any.
func (e *Env) KillController() {
	if c := e.controller; c != nil {
		e.controller = nil
		c.Kill()
	}
}

// Close stops the running controller, if any, however it exits: for the
// test's cleanup.
func (e *Env) Close() {
	if c := e.controller; c != nil {
		e.controller = nil
		_ = c.Stop(controllerStopGrace)
	}
}

// ControllerLogs lists the log file of every controller the test started.
func (e *Env) ControllerLogs() []string { return e.logs }

// ReconcilesFinished counts the running controller's reconciles of a model
// that finished without error (none when no controller runs).
func (e *Env) ReconcilesFinished(model string) int {
	e.t.Helper()
	return e.ReconcilesStartedAfter(model, time.Time{})
}

// ReconcilesStartedAfter counts the running controller's reconciles of a
// model that finished without error and started after since.
func (e *Env) ReconcilesStartedAfter(model string, since time.Time) int {
	e.t.Helper()
	if e.controller == nil {
		return 0
	}
	n, err := e.controller.ReconcilesFinished(model, since)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Ctl runs papdlctl in the test's directory and returns its combined
// output.
func (e *Env) Ctl(args ...string) (string, error) {
	return e.bin.RunCtl(e.Dir, args...)
}

// MustCtl runs papdlctl and fails the test when it fails.
func (e *Env) MustCtl(args ...string) string {
	e.t.Helper()
	out, err := e.Ctl(args...)
	if err != nil {
		e.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// Apply writes the manifest to a file of the test's directory and runs
// `papdlctl apply -f` on it.
func (e *Env) Apply(s Spec) {
	e.t.Helper()
	file := filepath.Join(e.Dir, s.Name+".yaml")
	if err := os.WriteFile(file, []byte(s.YAML()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	out := e.MustCtl("apply", "-f", file, "--specs-dir", e.Specs)
	if !strings.Contains(out, "distributedmodel/"+s.Name) {
		e.t.Fatalf("apply printed %q", out)
	}
}

// Record reads a model's status record (nil when it has none).
func (e *Env) Record(model string) *distributedmodel.Record {
	e.t.Helper()
	rec, found, err := distributedmodel.LoadRecord(e.Store, model)
	if err != nil {
		e.t.Fatalf("read the record of %s: %v", model, err)
	}
	if !found {
		return nil
	}
	return rec
}

// WaitRecord polls the model's record until ok accepts it, and returns it;
// after timeout it fails the test, naming what it waited for.
func (e *Env) WaitRecord(model, what string, timeout time.Duration, ok func(*distributedmodel.Record) bool) *distributedmodel.Record {
	e.t.Helper()
	var rec *distributedmodel.Record
	Eventually(e.t, e.pollEvery, timeout, what, func() (bool, string) {
		rec = e.Record(model)
		if rec == nil {
			return false, "no record yet"
		}
		return ok(rec), StatusSummary(rec)
	})
	return rec
}

// Events returns a model's event log.
func (e *Env) Events(model string) []store.Event {
	e.t.Helper()
	evs, err := e.Store.Events(model, 0)
	if err != nil {
		e.t.Fatalf("events of %s: %v", model, err)
	}
	return evs
}

// LogDiagnostics logs the last logLines lines of every controller's log and
// `papdlctl describe` of every model in the store.
func (e *Env) LogDiagnostics(logLines int) {
	for _, l := range e.logs {
		if b, err := os.ReadFile(l); err == nil {
			e.t.Logf("%s (last %d lines):\n%s", filepath.Base(l), logLines, LastLines(string(b), logLines))
		}
	}
	names, _ := e.Store.ModelNames()
	for _, n := range names {
		out, _ := e.Ctl("describe", n, "--state-dir", e.State)
		e.t.Logf("describe %s:\n%s", n, out)
	}
}

// LastLines is the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Path returns a path from one of the store's path builders, failing the
// test when the builder refused the name.
func (e *Env) Path(path string, err error) string {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return path
}

// ReplaceFile replaces dst with src's content through a rename, as an
// editor or a GitOps sync does (a watcher never sees half a file).
func ReplaceFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".partial"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}
