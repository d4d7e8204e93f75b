// Package distributedmodel is the DistributedModel controller's reconcile:
// for one model name it reads the spec from the specs directory and the
// workloads from the runtime, then converges step by step, one file per
// step: slice (only when the model file changed), benchmark (only when the
// node set or node resources changed or the profile is too old), place
// (only when the profile, the ready nodes or the spec changed), deploy (only
// the workloads whose definition changed) and prune (what no spec wants).
// Status and events go to the state store after every step.
package distributedmodel
