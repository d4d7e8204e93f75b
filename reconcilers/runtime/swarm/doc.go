// Package swarm is papdl's Docker Swarm runtime: every workload (partition
// server or gateway) is one replicated service of one task, pinned to its
// node with a node.id constraint, attached to the model's attachable
// overlay network (papdl-<model>) in dnsrr endpoint mode, so each service
// is reachable by its name from the others. The gateway publishes its port
// in host mode on its node. Neither the routing mesh nor VIPs are used, so
// the runtime also works on hosts without IPVS.
//
// Every service carries the labels papdl.io/model, papdl.io/partition,
// papdl.io/role, papdl.io/revision, papdl.io/spec-hash (the workload's
// Hash) and papdl.io/workload (the workload as JSON): List decodes them
// back, and Apply compares the spec hash to decide between nothing and a
// ServiceUpdate.
//
// The services run one image, FROM scratch around the static papdl-node
// binary, tagged papdl-node:<first 12 hex digits of the binary's sha256>.
// The runtime builds it on the manager's engine (legacy builder, tar
// context made in memory) and copies it to each worker's engine with
// ImageSave and ImageLoad, reaching the workers through Config.NodeEngines.
// In production a registry replaces the copy: push the image there and set
// Config.Image to its reference pinned by digest.
//
// Services fetch their partition and manifest over HTTP from the
// controller (Config.Artifacts, e.g. ArtifactServer) by content digest; the
// node binary checks the sha256 before loading anything.
//
// Benchmark runs one probe service per node, then one one-shot bench
// service per node in turn, and reads each node's result from the task's
// logs.
package swarm
