package e2eutil

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Controller is a `papdlctl controller` process started by a test, its
// output (JSON log lines) going to a file of its own.
type Controller struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once the process has exited and its log is closed
}

// StartController runs papdlctl with args (`controller ...`) in the
// background, writing its output to logPath.
func StartController(ctl, logPath string, args ...string) (*Controller, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("controller log: %w", err)
	}
	cmd := exec.Command(ctl, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start the controller: %w", err)
	}
	c := &Controller{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(c.exited)
	}()
	return c, nil
}

// Stop sends SIGTERM and waits up to grace for the controller to exit, then
// kills it. The error says when it did not exit in time or exited with
// another status than 0.
func (c *Controller) Stop(grace time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("the controller did not exit within %s of SIGTERM", grace)
	}
	if !c.cmd.ProcessState.Success() {
		return fmt.Errorf("the controller exited with %s after SIGTERM", c.cmd.ProcessState)
	}
	return nil
}

// Kill sends SIGKILL (a crash) and waits for the process to be gone.
func (c *Controller) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// logTimeLayout is the controller's JSON log timestamp (field "ts").
const logTimeLayout = "2006-01-02T15:04:05.000Z0700"

// ReconcilesFinished counts the reconciles of a model that finished without
// error ("reconcile finished" log lines) and, unless startedAfter is zero,
// started after it (the line is written at the end, with how long the
// reconcile took).
func (c *Controller) ReconcilesFinished(model string, startedAfter time.Time) (int, error) {
	f, err := os.Open(c.logPath)
	if err != nil {
		return 0, fmt.Errorf("controller log: %w", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var line struct {
			TS   string  `json:"ts"`
			Msg  string  `json:"msg"`
			Name string  `json:"name"`
			Took float64 `json:"took"` // seconds
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "reconcile finished" || line.Name != model {
			continue
		}
		if !startedAfter.IsZero() {
			end, err := time.Parse(logTimeLayout, line.TS)
			if err != nil {
				return 0, fmt.Errorf("controller log %s: timestamp %q: %w", c.logPath, line.TS, err)
			}
			if !end.Add(-time.Duration(line.Took * float64(time.Second))).After(startedAfter) {
				continue
			}
		}
		n++
	}
	return n, nil
}
