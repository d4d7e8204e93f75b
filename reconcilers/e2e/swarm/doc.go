// Package swarm holds papdl's end-to-end test on a real multi-node Docker
// Swarm: the test bed of hack/swarm-up.sh 3, the host's engine as manager
// plus three heterogeneous workers (node1: 0.5 CPU, 1 GiB; node2: 1 CPU,
// 2 GiB; node3: 2 CPUs, 4 GiB; see docs/swarm.md).
//
// The test builds papdlctl and papdl-node from the current tree
// (CGO_ENABLED=0, into a temporary directory), generates a zoo model and its
// monolithic output (papdlctl infer), runs `papdlctl controller --runtime
// swarm` against temporary specs and state directories, and drives it the
// way a user does, through papdlctl apply/predict/delete, the gateway's HTTP
// endpoint and hack/swarm-fail.sh. In order:
//
//   - apply with the weakest node (node1) as source -> Benchmarked, Placed,
//     Ready; one service per partition pinned to the planned node and the
//     gateway on node1 with its port published in host mode; predictions
//     through http://10.99.0.11:PORT equal the monolithic output, bitwise;
//   - the same model with source node3 gets another plan, whose input and
//     return hops start and end on node3, and serves the same output;
//   - deleting that second model leaves nothing of it, and the first
//     model's services untouched;
//   - from here on two clients send predictions steadily (e2eutil.Load),
//     and no request may fail through any of the next four events:
//   - killing a worker that hosts a partition (not the source) re-places
//     the model (NodeUnavailable event, PlacementChanged) and it is Ready
//     again; the gateway held the requests the broken chain could not
//     answer and replayed them on the new one;
//   - the node is restored and the model converges on the full swarm
//     (blue/green: the new chain starts next to the old one);
//   - the model file is replaced by one with other weights: answers are the
//     old or the new model's while the new revision starts, only the new
//     one's once Ready;
//   - a restarted controller changes no service (IDs, versions and
//     running tasks unchanged) and records no Deployed, Redeployed or
//     PartitionRestarted event;
//   - deleting the spec leaves no service or network of the model on the
//     manager, no container of it on any engine, and no state.
//
// TestSwarmInstall runs the controller as papdlctl install --swarm makes it
// (a Swarm service on the manager, reconcilers/install) and drives it from a
// directory holding only the config install wrote: apply, wait, get and
// predict an mnist model (bitwise equal to the monolithic output), install
// again (unchanged) and with another flag (upgraded in place), neither
// touching a service of the model, uninstall keeping the
// model (it keeps serving) and install again (taken over without
// redeploying), delete, then uninstall --purge leaves no service, container,
// volume or image of the controller.
//
// The measured times (apply -> Ready, kill -> Ready, restore -> Ready,
// update -> Ready, delete -> nothing left) and each event's request count
// and latency (p50, p99, max) are logged with "TIMING"; nothing asserts on
// times.
//
// The specs keep every unit off the manager (spec.constraints.avoid on the
// node label papdl.io/node=manager): it is the host's own engine, which
// runs the controller and cannot be failed, and as the fastest node it
// would otherwise host most partitions. The manager is still part of the
// swarm and benchmarked.
//
// The model is resnet18 by default; PAPDL_SWARM_MODEL names another zoo
// architecture (papdlctl model generate --arch). vgg16 fits the test bed:
// papdl-node bench measures it chunk by chunk (peak RSS about 0.9 GB, set
// by the 392 MiB fc6 layer, where the whole model took 2.5 GB), so node1
// (1 GiB) is benchmarked too; a partition server holding the whole model
// peaks at about 1.1 GB (decoded plus packed weights), which node2 (2 GiB)
// holds after node3 fails.
//
// The controller serves artifacts on a fixed port of the bridge (picked
// once per test): the artifact URLs are part of every service's command
// line, so a controller restarted with --artifact-listen 10.99.0.1:0 gets
// another port and updates every service.
//
// The harness it shares with the local-runtime suite (reconcilers/e2e) is
// in package e2eutil.
//
// Run it on the test bed (as root):
//
//	hack/swarm-up.sh 3
//	PAPDL_SWARM_TESTS=1 go test -v -timeout 20m ./reconcilers/e2e/swarm/
//	hack/swarm-down.sh
//
// Without PAPDL_SWARM_TESTS=1 the test skips. A failed run restores any node
// it killed and removes its models' services and networks; it leaves the
// test bed up.
package swarm
