// Package runtime defines what papdl's controller needs of the place where
// partitions run: the nodes, the workloads it owns (one per partition plus a
// gateway per model), and a way to benchmark the nodes. Two implementations
// plug in: local (child processes on this host, the default) and swarm
// (Docker Swarm services).
//
// Workloads are identified by name and carry everything that defines them;
// Hash is computed over those fields, so comparing an observed workload's
// hash with the desired one's is the drift check.
package runtime
