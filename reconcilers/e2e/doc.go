// Package e2e holds papdl's end-to-end tests: they build papdlctl and
// papdl-node from the current tree, run the controller on the local runtime
// (host node "local", plus simulated nodes where a multi-partition placement
// is needed) against a temporary specs and state directory, and drive it the
// way a user does, through papdlctl apply/get/describe/wait/predict/delete.
//
// What the tests check, each against a live controller and live workload
// processes:
//
//   - apply -> Ready, and the gateway's predictions are bitwise equal to the
//     monolithic output of the same model (papdlctl infer);
//   - a placement change (spec.constraints.pins) re-places the model and
//     redeploys only the partitions that changed (the others keep their pid);
//   - a replaced model file is resliced and then serves the new weights;
//   - a spec with an unknown field stalls that model only, naming the field;
//   - a killed partition process is restarted;
//   - a restarted controller adopts the running workloads without
//     redeploying anything;
//   - deleting a spec removes its processes, state and artifacts.
//
// The tests run in parallel, each with its own controller, directories and
// gateway port, and use the small "mnist" zoo model with fast benchmark
// settings. Every process they start (controller and workloads, found by
// the pids the local runtime records) is killed when the test ends.
//
// What this suite shares with the Swarm suite (reconcilers/e2e/swarm) is in
// package e2eutil: building the binaries, running the controller and
// papdlctl, applying specs and reading status records and events.
//
// Run them with
//
//	go test ./reconcilers/e2e/
//
// -short skips the slowest test (a replaced model file is only noticed at
// the Ready model's periodic recheck, up to 15 seconds later).
package e2e
