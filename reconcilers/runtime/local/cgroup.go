package local

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// Caps modes: how a simulated node's CPU and memory limits are enforced.
const (
	// CapsAuto uses cgroups when this process may create them (root with
	// a writable cgroup tree), and CapsNone otherwise.
	CapsAuto = "auto"
	// CapsCgroup requires cgroups: New fails without them.
	CapsCgroup = "cgroup"
	// CapsNone enforces nothing: simulated nodes are shown uncapped (the
	// host's CPUs and memory), so nothing predicted relies on a cap that
	// does not hold.
	CapsNone = "none"
)

// cgroupRoot is where the cgroup filesystems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupPrefix starts the names of this runtime's cgroups (and of no other
// papdl cgroups, such as the swarm test bed's nodes').
const cgroupPrefix = "papdl-local-"

// cgroups puts the processes of each simulated node into a cgroup of its
// own with the node's CPU quota and memory limit (cgroup v2: cpu.max and
// memory.max; v1: cpu.cfs_quota_us and memory.limit_in_bytes), so that a
// 0.5-CPU node really gets half a CPU.
type cgroups struct {
	// dirs are, per node name, the cgroup directories a process joins (one
	// on v2; the cpu and the memory hierarchy's on v1).
	dirs map[string][]string
}

// cfsPeriodMicros is the CPU quota's period. A node's quota is its CPUs
// times the period; within a period a process may burst at the host's full
// speed until the quota is spent. With the kernel's default of 100 ms, a
// 0.5-CPU node ran a 50 ms request at full speed when requests came with
// pauses, and at half speed in a benchmark's tight loop: a latency
// predicted from the benchmark was 1.6x what the node served. A 10 ms
// period bounds the burst to 5 ms of such a request.
const cfsPeriodMicros = 10000

// cgroupNamePrefix starts the names of the cgroups of the runtime on
// runtimeDir (an absolute path, symbolic links resolved): two runtimes
// never share one.
func cgroupNamePrefix(runtimeDir string) string {
	sum := sha256.Sum256([]byte(runtimeDir))
	return cgroupPrefix + hex.EncodeToString(sum[:4]) + "-"
}

// setupCgroups creates (or reuses) the cgroups of nodes, named after the
// runtime directory.
func setupCgroups(runtimeDir string, nodes []SimulatedNode) (*cgroups, error) {
	prefix := cgroupNamePrefix(runtimeDir)
	v2 := isCgroup2(cgroupRoot)
	if v2 {
		// Delegate the cpu and memory controllers to our children.
		if err := os.WriteFile(filepath.Join(cgroupRoot, "cgroup.subtree_control"), []byte("+cpu +memory"), 0o644); err != nil {
			return nil, fmt.Errorf("cgroup v2: enable the cpu and memory controllers: %w", err)
		}
	}
	cg := &cgroups{dirs: map[string][]string{}}
	for _, n := range nodes {
		mem, err := parseMemory(n.Memory)
		if err != nil {
			return nil, err
		}
		name := prefix + n.Name
		if v2 {
			dir := filepath.Join(cgroupRoot, name)
			quota := int64(n.CPUs * cfsPeriodMicros)
			if err := writeCgroup(dir, map[string]string{"cpu.max": fmt.Sprintf("%d %d", quota, cfsPeriodMicros),
				"memory.max": strconv.FormatInt(mem, 10)}); err != nil {
				return nil, err
			}
			cg.dirs[n.Name] = []string{dir}
			continue
		}
		cpuDir, memDir := filepath.Join(cgroupRoot, "cpu", name), filepath.Join(cgroupRoot, "memory", name)
		if err := writeCgroup(cpuDir, map[string]string{"cpu.cfs_period_us": strconv.Itoa(cfsPeriodMicros),
			"cpu.cfs_quota_us": strconv.FormatInt(int64(n.CPUs*cfsPeriodMicros), 10)}); err != nil {
			return nil, err
		}
		if err := writeCgroup(memDir, map[string]string{"memory.limit_in_bytes": strconv.FormatInt(mem, 10)}); err != nil {
			return nil, err
		}
		cg.dirs[n.Name] = []string{cpuDir, memDir}
	}
	return cg, nil
}

func isCgroup2(root string) bool {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return err == nil
}

// writeCgroup creates dir and writes its settings (in map order is fine:
// the settings are independent).
func writeCgroup(dir string, settings map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	for file, v := range settings {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0o644); err != nil {
			return fmt.Errorf("cgroup %s: %s = %s: %w", dir, file, v, err)
		}
	}
	return nil
}

// remove deletes the cgroups that no process is in any more; one that
// still holds a process (a workload that outlives this runtime, adopted by
// the next) stays.
func (c *cgroups) remove() error {
	if c == nil {
		return nil
	}
	var dirs []string
	for _, d := range c.dirs {
		dirs = append(dirs, d...)
	}
	return removeEmptyCgroups(dirs)
}

// ReleaseCgroups removes the simulated nodes' cgroups of the local
// runtime on dir that no process is in any more, for a caller that
// stopped the runtime's workloads after the runtime itself (a test's
// cleanup). Cgroups that still hold a process stay.
func ReleaseCgroups(dir string) error {
	abs, err := runtimeDir(dir)
	if err != nil {
		return err
	}
	prefix := cgroupNamePrefix(abs)
	var dirs []string
	for _, parent := range []string{cgroupRoot, filepath.Join(cgroupRoot, "cpu"), filepath.Join(cgroupRoot, "memory")} {
		found, err := filepath.Glob(filepath.Join(parent, prefix+"*"))
		if err != nil {
			return err
		}
		dirs = append(dirs, found...)
	}
	return removeEmptyCgroups(dirs)
}

// removeEmptyCgroups removes each cgroup directory that holds no process
// (the kernel refuses the others with EBUSY) and reports other failures.
func removeEmptyCgroups(dirs []string) error {
	var errs []error
	for _, dir := range dirs {
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.EBUSY) {
			errs = append(errs, fmt.Errorf("cgroup %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// add moves pid into node's cgroups (nothing for the host node).
func (c *cgroups) add(node string, pid int) error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, dir := range c.dirs[node] {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("cgroup %s: add pid %d: %w", dir, pid, err))
		}
	}
	return errors.Join(errs...)
}
