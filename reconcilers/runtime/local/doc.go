// Package local is papdl's embedded runtime: every workload is a papdl-node
// child process on this host, listening on loopback ports. The host is one
// node ("local"); a declared set of simulated nodes, each with a CPU count
// (GOMAXPROCS) and a memory cap (GOMEMLIMIT), can be added for experiments:
// their processes run here too, and their benchmark times are scaled by the
// fraction of a CPU they are given.
//
// Processes are started in their own session, so they outlive a controller
// restart; the runtime records each one (pid, command line, ports, hash)
// under its state directory and adopts the running ones again on start.
package local
