// Package local is papdl's embedded runtime: every workload is a papdl-node
// child process on this host, listening on loopback ports. The host is one
// node ("local"); a declared set of simulated nodes, each with a CPU share
// and a memory cap, can be added for experiments: their processes run here
// too, inside a cgroup per node (v2 cpu.max/memory.max, or v1 CFS quota and
// memory limit) when this process may create cgroups, so a 0.5-CPU node
// really gets half a CPU and what is measured is what runs. Without
// cgroups (Config.Caps "none", or "auto" without root) the simulated nodes
// are shown uncapped, with the host's CPUs and memory (label
// papdl.io/caps=none), and nothing is scaled.
//
// Processes are started in their own session, so they outlive a controller
// restart; the runtime records each one (pid, command line, ports, hash)
// under its directory. The records are a cache: every process also carries
// its identity in its environment (PAPDL_RUNTIME_DIR, PAPDL_MODEL,
// PAPDL_TASK, and for workloads PAPDL_WORKLOAD with its definition), so a
// lost or damaged record is rebuilt from the running process, Adopt (called
// once by the controller at start) adopts workloads and kills orphaned
// benchmark and probe processes of a killed controller, and Clean finds
// processes that have no record.
//
// Stopping a process (SIGTERM, SIGKILL after 5 s or when the context ends)
// never holds the runtime's lock. A workload that keeps exiting soon after
// it starts is restarted with exponential backoff (Config.CrashBackoff), and
// List explains it: the crash loop's next start, and a port it could not
// bind together with the workload of this runtime that holds it.
package local
