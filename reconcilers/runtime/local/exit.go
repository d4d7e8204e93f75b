package local

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// bindFailure matches Go's error for a port that cannot be bound, as
// papdl-node logs it before exiting.
var bindFailure = regexp.MustCompile(`listen tcp ([^ ]*:(\d+)): bind: ([a-z ]+)`)

// exitMessage explains why rec's workload is not running (r.mu held): a
// port it could not bind (naming the workload of this runtime that listens
// there, if any), the crash-loop backoff, and the last line of its log.
func (r *Runtime) exitMessage(rec *record, all []*record) string {
	last := r.lastLogLine(rec.Workload.Name)
	msg := "process exited: " + last
	if m := bindFailure.FindStringSubmatch(last); m != nil {
		port, _ := strconv.Atoi(m[2])
		msg = fmt.Sprintf("port %d: %s (listen %s)", port, m[3], m[1])
		if holder := portHolder(port, rec, all); holder != "" {
			msg += "; " + holder + " listens there"
		}
	}
	if wait := time.Until(rec.NextStart); wait > 0 {
		msg = fmt.Sprintf("crash loop: %d restarts, next start in %s; %s", rec.Restarts,
			wait.Round(time.Second), msg)
	}
	return msg
}

// portHolder names the recorded workload other than rec that listens on
// port, or "".
func portHolder(port int, rec *record, all []*record) string {
	for _, o := range all {
		if o.Workload.Name == rec.Workload.Name || o.PID == 0 {
			continue
		}
		if o.Listen == port || o.Return == port {
			return fmt.Sprintf("workload %s of model %s", o.Workload.Name, o.Workload.Model)
		}
	}
	return ""
}

// lastLogLine is the last line of a workload's log.
func (r *Runtime) lastLogLine(name string) string {
	path, err := r.logPath(name)
	if err != nil {
		return "no log: " + err.Error()
	}
	return lastLine(path)
}

// lastLine returns the last non-empty line of a log file, reading at most
// its last 16 KiB.
func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "no log"
	}
	defer f.Close()
	const tail = 16 << 10
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		_, _ = f.Seek(st.Size()-tail, io.SeekStart)
	}
	b, err := io.ReadAll(io.LimitReader(f, tail))
	if err != nil {
		return "no log"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	l := lines[len(lines)-1]
	if len(l) > 300 {
		l = l[len(l)-300:]
	}
	return l
}

// listeningPorts returns the loopback TCP ports in LISTEN state on this
// host (from /proc/net/tcp), or nil when it cannot be read.
func listeningPorts() map[int]bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil
	}
	out := map[int]bool{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" { // 0A: TCP_LISTEN
			continue
		}
		addr, port, ok := strings.Cut(f[1], ":")
		if !ok || (addr != "0100007F" && addr != "00000000") { // 127.0.0.1 or 0.0.0.0, little-endian
			continue
		}
		if p, err := strconv.ParseInt(port, 16, 32); err == nil {
			out[int(p)] = true
		}
	}
	return out
}

// notListening is the first of rec's ports that is not listening yet, or
// 0. With no port table (listening nil) every port counts as listening.
func notListening(rec *record, listening map[int]bool) int {
	if listening == nil {
		return 0
	}
	for _, p := range []int{rec.Listen, rec.Return} {
		if p != 0 && !listening[p] {
			return p
		}
	}
	return 0
}
