package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/store"
)

// The mnist zoo model has 5 units: conv1, pool1 (0-1), conv2 .. fc (2-4).
const mnistUnits = 5

// edges are two simulated nodes, so that one host can hold a placement of
// several partitions on distinct nodes.
var edges = []string{"{name: edge1, cpus: 1, memory: 1Gi}", "{name: edge2, cpus: 1, memory: 1Gi}"}

// 1. apply -> Ready -> the gateway's predictions are the monolithic output,
// bitwise; get -o json parses as a list of DistributedModels, describe shows
// the placement.
func TestApplyServesMonolithicOutput(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	port := freePort(t)
	start := time.Now()
	c.apply(spec{name: "mnist", model: fixture.modelA, port: port})
	out := c.MustCtl("wait", "--for", "condition=Ready", "mnist", "--timeout", "2m", "--state-dir", c.State)
	t.Logf("apply -> Ready (papdlctl wait): %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out, "condition met") {
		t.Errorf("wait printed %q", out)
	}
	rec := c.waitReady("mnist", "")
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	if rec.Status.Endpoint != endpoint {
		t.Errorf("endpoint %q, want %q (spec.gateway.port)", rec.Status.Endpoint, endpoint)
	}
	if got := placementNodes(rec); !slices.Equal(got, []string{"local"}) {
		t.Errorf("placement on %v, want one partition on local (the only node)", got)
	}

	// Through papdlctl predict, and straight to the gateway.
	c.mustPredictEqual("mnist", fixture.monoA, "papdlctl predict")
	in, err := os.ReadFile(fixture.input)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		resp, err := http.Post(endpoint+"/input", "application/octet-stream", bytes.NewReader(in))
		if err != nil {
			t.Fatalf("POST /input: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /input: %s, %v: %s", resp.Status, err, body)
		}
		if !bytes.Equal(body, fixture.monoA) {
			t.Fatalf("POST /input #%d: the response differs from the monolithic output", i)
		}
	}

	// The workloads: one partition and the gateway, both running.
	ws := c.workloads("mnist")
	for _, name := range []string{partitionName(ws, "mnist", 0), "papdl-mnist-gateway"} {
		w, ok := ws[name]
		if !ok {
			t.Errorf("no workload %s (have %v)", name, pids(ws))
		} else if !nodeProcessAlive(w.PID) {
			t.Errorf("%s (pid %d) is not running", name, w.PID)
		}
	}
	if len(ws) != 2 {
		t.Errorf("%d workloads, want 2: %v", len(ws), pids(ws))
	}
	r := e2eutil.CountReasons(c.Events("mnist"))
	for _, want := range []string{"Benchmarked", "Placed", "Sliced", "Ready"} {
		if r[want] != 1 {
			t.Errorf("%d %s events, want 1 (events %v)", r[want], want, r)
		}
	}
	if r["Deployed"] != 2 {
		t.Errorf("%d Deployed events, want 2 (events %v)", r["Deployed"], r)
	}

	// get -o json: a DistributedModelList (as kubectl prints a List);
	// with a name, one object.
	var list struct {
		Kind  string                      `json:"kind"`
		Items []v1alpha1.DistributedModel `json:"items"`
	}
	out = c.MustCtl("get", "-o", "json", "--state-dir", c.State)
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Kind != "DistributedModelList" {
		t.Fatalf("get -o json does not parse as a DistributedModelList: %v\n%s", err, out)
	}
	if len(list.Items) != 1 {
		t.Fatalf("get -o json lists %d models, want 1", len(list.Items))
	}
	obj := list.Items[0]
	if obj.APIVersion != v1alpha1.APIVersion || obj.Kind != v1alpha1.KindDistributedModel || obj.Name != "mnist" {
		t.Errorf("get -o json: %s/%s %q", obj.APIVersion, obj.Kind, obj.Name)
	}
	if obj.Spec.Model.Path != fixture.modelA || obj.Spec.Gateway == nil || obj.Spec.Gateway.Port == nil || int(*obj.Spec.Gateway.Port) != port {
		t.Errorf("get -o json: spec %+v does not echo the applied spec", obj.Spec)
	}
	if c := v1alpha1.FindCondition(obj.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != v1alpha1.ConditionTrue {
		t.Errorf("get -o json: Ready condition %+v", c)
	}
	if obj.Status.Placement == nil || len(obj.Status.Placement.Partitions) != 1 ||
		obj.Status.Placement.Partitions[0].Units != (v1alpha1.IndexRange{Start: 0, End: mnistUnits}) {
		t.Errorf("get -o json: placement %+v, want units [0,%d) in one partition", obj.Status.Placement, mnistUnits)
	}
	var one v1alpha1.DistributedModel
	out = c.MustCtl("get", "mnist", "-o", "json", "--state-dir", c.State)
	if err := json.Unmarshal([]byte(out), &one); err != nil || one.Name != "mnist" {
		t.Errorf("get mnist -o json: %v (name %q)", err, one.Name)
	}

	// describe: the placement table has a row for the partition.
	out = c.MustCtl("describe", "mnist", "--state-dir", c.State)
	if !strings.Contains(out, "Placement:") || !strings.Contains(out, "PARTITION") {
		t.Errorf("describe shows no placement table:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^\s+0\s+0-4 \(\S+\)\s+local\s`)
	if !row.MatchString(out) {
		t.Errorf("describe has no row for partition 0 (units 0-4 on local):\n%s", out)
	}
}

// 2. A changed pin re-places the model; only the partition whose placement
// changed is redeployed, the others keep their process.
func TestPlacementChangeRedeploysOnlyChangedPartitions(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	s := spec{name: "mnist", model: fixture.modelA, port: freePort(t),
		pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}}
	start := time.Now()
	c.apply(s)
	rec := c.waitReady("mnist", "")
	t.Logf("apply -> Ready (2 partitions): %s", time.Since(start).Round(time.Millisecond))
	if got := placementNodes(rec); !slices.Equal(got, []string{"edge1", "edge2"}) {
		t.Fatalf("placement on %v, want [edge1 edge2] as pinned", got)
	}
	c.mustPredictEqual("mnist", fixture.monoA, "two partitions")
	beforeWs := c.workloads("mnist")
	before := pids(beforeWs)
	oldP0, oldP1 := partitionName(beforeWs, "mnist", 0), partitionName(beforeWs, "mnist", 1)
	if len(before) != 3 {
		t.Fatalf("workloads %v, want two partitions and the gateway", before)
	}
	var planBefore planner.Plan
	if _, err := store.ReadJSON(c.Path(distributedmodel.PlanPath(c.Store, "mnist")), &planBefore); err != nil {
		t.Fatal(err)
	}
	nEvents := len(c.Events("mnist"))

	// Move the second range to the host.
	s.pins[1].host = "local"
	start = time.Now()
	c.apply(s)
	rec = c.waitReady("mnist", rec.Status.LastAppliedRevision)
	t.Logf("pin change -> Ready again: %s", time.Since(start).Round(time.Millisecond))
	if got := placementNodes(rec); !slices.Equal(got, []string{"edge1", "local"}) {
		t.Fatalf("placement on %v after the pin change, want [edge1 local]", got)
	}
	if rec.Generation != 2 || rec.Status.ObservedGeneration != 2 {
		t.Errorf("generation %d (observed %d), want 2 after one spec change", rec.Generation, rec.Status.ObservedGeneration)
	}
	var planAfter planner.Plan
	if _, err := store.ReadJSON(c.Path(distributedmodel.PlanPath(c.Store, "mnist")), &planAfter); err != nil {
		t.Fatal(err)
	}
	if len(planAfter.Partitions) != 2 || planAfter.Partitions[1].Node != "local" || planBefore.Partitions[1].Node != "edge2" {
		t.Errorf("plan.json: partition 1 on %s before, %s after; want edge2 then local",
			planBefore.Partitions[1].Node, planAfter.Partitions[len(planAfter.Partitions)-1].Node)
	}
	evs := c.Events("mnist")[nEvents:]
	r := e2eutil.CountReasons(evs)
	if r["PlacementChanged"] != 1 {
		t.Errorf("%d PlacementChanged events, want 1 (new events %v)", r["PlacementChanged"], r)
	}
	// Blue/green: partition 1 moved, so a new p1 and a new p0 (which sends
	// to it) started next to the old ones; the gateway, routed to the new
	// chain, stayed; then the old partitions went.
	if r["Deployed"] != 2 || r["Redeployed"] != 0 || r["Pruned"] != 2 {
		t.Errorf("new events %v: want two Deployed (new p0 and p1) and two Pruned (the old ones), no Redeployed", r)
	}
	afterWs := c.workloads("mnist")
	after := pids(afterWs)
	newP0, newP1 := partitionName(afterWs, "mnist", 0), partitionName(afterWs, "mnist", 1)
	if newP0 == oldP0 || newP1 == oldP1 || newP0 == "" || newP1 == "" {
		t.Errorf("partitions %s, %s before and %s, %s after: want new ones", oldP0, oldP1, newP0, newP1)
	}
	if after["papdl-mnist-gateway"] != before["papdl-mnist-gateway"] {
		t.Errorf("the gateway was restarted (pid %d -> %d): it must outlive the re-placement", before["papdl-mnist-gateway"], after["papdl-mnist-gateway"])
	}
	for _, name := range []string{newP0, newP1, "papdl-mnist-gateway"} {
		if !nodeProcessAlive(after[name]) {
			t.Errorf("%s (pid %d) is not running", name, after[name])
		}
	}
	for _, name := range []string{oldP0, oldP1} {
		if nodeProcessAlive(before[name]) {
			t.Errorf("the old %s (pid %d) still runs", name, before[name])
		}
	}
	c.mustPredictEqual("mnist", fixture.monoA, "after the re-placement")
	out := c.MustCtl("describe", "mnist", "--state-dir", c.State)
	for _, re := range []string{`(?m)^\s+0\s+0-1 \(\S+\)\s+edge1\s`, `(?m)^\s+1\s+2-4 \(\S+\)\s+local\s`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("describe's placement table has no row matching %s:\n%s", re, out)
		}
	}

	// A new objective with every unit pinned: planned again for throughput,
	// the same placement, nothing redeployed.
	before, nEvents = after, len(c.Events("mnist"))
	s.objective = string(v1alpha1.ObjectiveThroughput)
	c.apply(s)
	rec = c.waitReady("mnist", rec.Status.LastAppliedRevision)
	if pl := rec.Status.Placement; pl == nil || pl.Objective != v1alpha1.ObjectiveThroughput {
		t.Errorf("placement %+v: want it planned for throughput", pl)
	}
	if got := placementNodes(rec); !slices.Equal(got, []string{"edge1", "local"}) {
		t.Errorf("placement on %v after the objective change, want [edge1 local] as pinned", got)
	}
	if r := e2eutil.CountReasons(c.Events("mnist")[nEvents:]); r["PlacementChanged"]+r["Deployed"]+r["Redeployed"]+r["Pruned"] != 0 {
		t.Errorf("new events %v after an objective change that keeps the placement", r)
	}
	if after = pids(c.workloads("mnist")); !equalPIDs(before, after) {
		t.Errorf("workloads changed although the placement did not: %v -> %v", before, after)
	}
	c.mustPredictEqual("mnist", fixture.monoA, "after the objective change")
}

// 3. A replaced model file is resliced, and then the new weights serve.
func TestModelFileReplacedIsResliced(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the change is only noticed at the Ready model's periodic recheck")
	}
	t.Parallel()
	c := newCluster(t)
	model := filepath.Join(c.Dir, "mnist.onnx")
	e2eutil.ReplaceFile(t, fixture.modelA, model)
	c.startController()
	c.apply(spec{name: "mnist", model: model, port: freePort(t)})
	rec := c.waitReady("mnist", "")
	c.mustPredictEqual("mnist", fixture.monoA, "seed 1")
	oldArtifact, oldRevision := rec.ArtifactKey, rec.Status.LastAppliedRevision
	if oldArtifact == "" || !exists(c.Path(c.Store.ArtifactDir(oldArtifact))) {
		t.Fatalf("artifact key %q: no partition set in the store", oldArtifact)
	}
	nEvents := len(c.Events("mnist"))

	start := time.Now()
	e2eutil.ReplaceFile(t, fixture.modelB, model)
	rec = c.waitReady("mnist", oldRevision)
	t.Logf("model file replaced -> Ready with the new model: %s", time.Since(start).Round(time.Millisecond))
	if want := sha256File(t, fixture.modelB); rec.ModelSHA256 != want {
		t.Errorf("record has model sha256 %s, want the new file's %s", rec.ModelSHA256, want)
	}
	if rec.ArtifactKey == "" || rec.ArtifactKey == oldArtifact {
		t.Errorf("artifact key %q: want a new one (old %q)", rec.ArtifactKey, oldArtifact)
	}
	if !exists(filepath.Join(c.Path(c.Store.ArtifactDir(rec.ArtifactKey)), "manifest.json")) {
		t.Errorf("the new partition set %s has no manifest", rec.ArtifactKey)
	}
	r := e2eutil.CountReasons(c.Events("mnist")[nEvents:])
	if r["ModelChanged"] != 1 || r["Sliced"] != 1 {
		t.Errorf("new events %v: want one ModelChanged and one Sliced", r)
	}
	c.mustPredictEqual("mnist", fixture.monoB, "after the model file was replaced")
	eventually(t, shortTimeout, "the old partition set to be pruned", func() (bool, string) {
		return !exists(c.Path(c.Store.ArtifactDir(oldArtifact))), "still there: " + c.Path(c.Store.ArtifactDir(oldArtifact))
	})
}

// 4. A spec with an unknown field stalls that model, naming the field; the
// other model keeps serving, untouched. Fixing the spec recovers.
func TestUnknownFieldStallsOnlyThatModel(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	c.apply(spec{name: "good", model: fixture.modelA, port: freePort(t)})
	c.waitReady("good", "")
	before := pids(c.workloads("good"))
	nGood := len(c.Events("good"))

	broken := spec{name: "broken", model: fixture.modelA, port: freePort(t)}
	text := strings.Replace(broken.yaml(), "  sourceNode:", "  sourceNodee:", 1)
	if !strings.Contains(text, "sourceNodee") {
		t.Fatal("could not misspell the spec")
	}
	// papdlctl apply refuses it, naming the field...
	bad := filepath.Join(c.Dir, "broken-typo.yaml")
	if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Ctl("apply", "-f", bad, "--specs-dir", c.Specs); err == nil || !strings.Contains(out, "sourceNodee") {
		t.Errorf("apply of a spec with an unknown field: err %v, output %q; want a failure naming sourceNodee", err, out)
	}
	// ... so it is written into the specs directory by hand, as an editor would.
	written := time.Now()
	if err := os.WriteFile(filepath.Join(c.Specs, "broken.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := c.WaitRecord("broken", "broken Stalled", shortTimeout, func(r *distributedmodel.Record) bool {
		s := condition(r, v1alpha1.ConditionStalled)
		return s != nil && s.Status == v1alpha1.ConditionTrue
	})
	stalled := condition(rec, v1alpha1.ConditionStalled)
	if !strings.Contains(stalled.Message, "sourceNodee") || stalled.Reason != v1alpha1.ReasonInvalidSpec {
		t.Errorf("Stalled %s: %q; want reason %s and the field spec.sourceNodee named", stalled.Reason, stalled.Message, v1alpha1.ReasonInvalidSpec)
	}
	if e2eutil.IsReady(rec) {
		t.Error("the stalled model is Ready")
	}
	if out, err := c.Ctl("wait", "--for", "condition=Ready", "broken", "--timeout", "30s", "--state-dir", c.State); err == nil || !strings.Contains(out, "stalled") {
		t.Errorf("wait on a stalled model: err %v, output %q; want an immediate failure saying it is stalled", err, out)
	}
	if out := c.MustCtl("get", "--state-dir", c.State); !regexp.MustCompile(`(?m)^broken\s+False\s+Stalled:InvalidSpec`).MatchString(out) {
		t.Errorf("get does not show broken as stalled:\n%s", out)
	}
	if ws := c.workloads("broken"); len(ws) != 0 {
		t.Errorf("the stalled model has workloads: %v", pids(ws))
	}

	// The good model was reconciled again (the specs directory changed) and
	// left as it was.
	eventually(t, shortTimeout, "good to be reconciled after the change", func() (bool, string) {
		return c.ReconcilesStartedAfter("good", written) > 0, "no reconcile of good started since"
	})
	if rec := c.Record("good"); !e2eutil.IsReady(rec) {
		t.Errorf("good is not Ready any more: %s", e2eutil.StatusSummary(rec))
	}
	if after := pids(c.workloads("good")); !equalPIDs(before, after) {
		t.Errorf("good's workloads changed: %v -> %v", before, after)
	}
	if evs := c.Events("good")[nGood:]; len(evs) > 0 {
		t.Errorf("good got new events: %v", e2eutil.CountReasons(evs))
	}
	c.mustPredictEqual("good", fixture.monoA, "the other model while one is stalled")

	// Fixing the spec recovers the stalled model.
	c.apply(broken)
	rec = c.waitReady("broken", "")
	if s := condition(rec, v1alpha1.ConditionStalled); s != nil && s.Status == v1alpha1.ConditionTrue {
		t.Errorf("still Stalled after the fix: %s", s.Message)
	}
	c.mustPredictEqual("broken", fixture.monoA, "the fixed model")
}

// 5. A killed partition process is restarted, and the model serves again.
func TestKilledPartitionIsRestarted(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.startController()
	c.apply(spec{name: "mnist", model: fixture.modelA, port: freePort(t)})
	c.waitReady("mnist", "")
	before := c.workloads("mnist")
	p0 := partitionName(before, "mnist", 0)
	victim := before[p0]
	if !nodeProcessAlive(victim.PID) {
		t.Fatalf("%s (pid %d) is not running", p0, victim.PID)
	}
	nEvents := len(c.Events("mnist"))

	start := time.Now()
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var restarted workload
	eventually(t, readyTimeout, p0+" to run again under a new pid", func() (bool, string) {
		restarted = c.workloads("mnist")[p0]
		return restarted.PID != victim.PID && nodeProcessAlive(restarted.PID),
			fmt.Sprintf("pid %d, restarts %d", restarted.PID, restarted.Restarts)
	})
	eventually(t, readyTimeout, "a PartitionRestarted event", func() (bool, string) {
		r := e2eutil.CountReasons(c.Events("mnist")[nEvents:])
		return r["PartitionRestarted"] > 0, fmt.Sprintf("new events %v", r)
	})
	t.Logf("SIGKILL -> restarted: %s", time.Since(start).Round(time.Millisecond))
	if restarted.Restarts != victim.Restarts+1 {
		t.Errorf("restart count %d -> %d, want one more", victim.Restarts, restarted.Restarts)
	}
	evs := c.Events("mnist")[nEvents:]
	for _, e := range e2eutil.EventsWithReason(evs, "PartitionRestarted") {
		if !strings.Contains(e.Message, p0+" ") {
			t.Errorf("PartitionRestarted names another workload: %q", e.Message)
		}
	}
	if r := e2eutil.CountReasons(evs); r["Redeployed"] != 0 || r["Deployed"] != 0 {
		t.Errorf("new events %v: a restart is neither a Deployed nor a Redeployed", r)
	}
	if gw := c.workloads("mnist")["papdl-mnist-gateway"]; gw.PID != before["papdl-mnist-gateway"].PID {
		t.Errorf("the gateway was restarted too (pid %d -> %d)", before["papdl-mnist-gateway"].PID, gw.PID)
	}
	c.WaitRecord("mnist", "mnist Ready with the partition ready", readyTimeout, func(r *distributedmodel.Record) bool {
		return e2eutil.IsReady(r) && r.Status.Placement != nil && r.Status.Placement.Partitions[0].Ready
	})
	// Predictions work again: the gateway reconnects to the new process.
	var got []byte
	eventually(t, shortTimeout, "a prediction to succeed", func() (bool, string) {
		var err error
		got, err = c.predict("mnist")
		return err == nil, fmt.Sprint(err)
	})
	t.Logf("SIGKILL -> serving again: %s", time.Since(start).Round(time.Millisecond))
	if !bytes.Equal(got, fixture.monoA) {
		t.Error("after the restart the prediction differs from the monolithic output")
	}
}

// 6. A restarted controller adopts the workloads: nothing is redeployed.
func TestControllerRestartRedeploysNothing(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	c.apply(spec{name: "mnist", model: fixture.modelA, port: freePort(t),
		pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}})
	rec := c.waitReady("mnist", "")
	before := pids(c.workloads("mnist"))
	if len(before) != 3 {
		t.Fatalf("workloads %v, want two partitions and the gateway", before)
	}
	nEvents := len(c.Events("mnist"))

	c.StopController()
	for name, pid := range before {
		if !nodeProcessAlive(pid) {
			t.Errorf("%s (pid %d) did not survive the controller's exit", name, pid)
		}
	}
	c.mustPredictEqual("mnist", fixture.monoA, "while the controller is down")
	start := time.Now()
	c.startController()
	eventually(t, readyTimeout, "the new controller to reconcile mnist", func() (bool, string) {
		n := c.ReconcilesFinished("mnist")
		return n > 0, fmt.Sprintf("%d reconciles", n)
	})
	t.Logf("controller restart -> first reconcile finished: %s", time.Since(start).Round(time.Millisecond))
	after := c.Record("mnist")
	if !e2eutil.IsReady(after) || after.Status.LastAppliedRevision != rec.Status.LastAppliedRevision {
		t.Errorf("after the restart: %s; want Ready at revision %s", e2eutil.StatusSummary(after), rec.Status.LastAppliedRevision)
	}
	if d := condition(after, v1alpha1.ConditionDeployed); d == nil || !strings.Contains(d.Message, "(0 changed") {
		t.Errorf("Deployed condition %+v: want 0 workloads changed", d)
	}
	if got := pids(c.workloads("mnist")); !equalPIDs(before, got) {
		t.Errorf("workloads changed across the controller restart: %v -> %v", before, got)
	}
	if r := e2eutil.CountReasons(c.Events("mnist")[nEvents:]); len(r) > 0 {
		t.Errorf("new events after the controller restart: %v; want none (no Deployed, Redeployed, Benchmarking, Sliced...)", r)
	}
	c.mustPredictEqual("mnist", fixture.monoA, "after the controller restart")
}

// 7. Deleting a spec removes every process, the state and the artifacts of
// that model, and nothing of another model.
func TestDeleteRemovesEverything(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	c.apply(spec{name: "gone", model: fixture.modelA, port: freePort(t),
		pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}})
	// Pinned whole to one node: on a loaded machine the planner may
	// otherwise find a split worth it, and the test counts workloads.
	c.apply(spec{name: "kept", model: fixture.modelB, port: freePort(t), pins: []pin{{0, mnistUnits, "local"}}})
	gone := c.waitReady("gone", "")
	kept := c.waitReady("kept", "")
	gonePIDs, keptPIDs := pids(c.workloads("gone")), pids(c.workloads("kept"))
	if len(gonePIDs) != 3 || len(keptPIDs) != 2 {
		t.Fatalf("workloads gone %v, kept %v", gonePIDs, keptPIDs)
	}
	if gone.ArtifactKey == kept.ArtifactKey {
		t.Fatal("both models use the same partition set: the test could not tell whose artifacts are removed")
	}

	start := time.Now()
	out := c.MustCtl("delete", "gone", "--specs-dir", c.Specs)
	if !strings.Contains(out, "distributedmodel/gone deleted") {
		t.Errorf("delete printed %q", out)
	}
	c.MustCtl("wait", "--for", "delete", "gone", "--timeout", "1m", "--state-dir", c.State)
	t.Logf("delete -> state gone: %s", time.Since(start).Round(time.Millisecond))
	for name, pid := range gonePIDs {
		if nodeProcessAlive(pid) {
			t.Errorf("%s (pid %d) still runs after its model was deleted", name, pid)
		}
	}
	if ws := c.workloads("gone"); len(ws) != 0 {
		t.Errorf("the runtime still records workloads of the deleted model: %v", pids(ws))
	}
	for name := range gonePIDs {
		for _, p := range []string{filepath.Join(c.State, "local-runtime", "workloads", name+".json"),
			filepath.Join(c.State, "local-runtime", "logs", name+".log")} {
			if exists(p) {
				t.Errorf("%s is left after the delete", p)
			}
		}
	}
	if exists(c.Path(c.Store.ModelDir("gone"))) {
		t.Errorf("the model's state directory %s is left", c.Path(c.Store.ModelDir("gone")))
	}
	eventually(t, shortTimeout, "the deleted model's partition set to be removed", func() (bool, string) {
		return !exists(c.Path(c.Store.ArtifactDir(gone.ArtifactKey))), "still there: " + gone.ArtifactKey
	})
	if gone.ProfileKey == "" {
		t.Error("the deleted model had no cluster profile")
	}
	eventually(t, shortTimeout, "the deleted model's cluster profile to be removed", func() (bool, string) {
		return !exists(c.Path(c.Store.ProfilePath(gone.ProfileKey))), "still there: " + c.Path(c.Store.ProfilePath(gone.ProfileKey))
	})
	if kept.ProfileKey == "" || !exists(c.Path(c.Store.ProfilePath(kept.ProfileKey))) {
		t.Errorf("the other model's cluster profile %q was removed", kept.ProfileKey)
	}
	if out := c.MustCtl("get", "-o", "json", "--state-dir", c.State); strings.Contains(out, `"gone"`) {
		t.Errorf("get still lists the deleted model:\n%s", out)
	}

	// The other model is untouched.
	if !exists(c.Path(c.Store.ArtifactDir(kept.ArtifactKey))) {
		t.Errorf("the partition set of the other model (%s) was removed", kept.ArtifactKey)
	}
	if got := pids(c.workloads("kept")); !equalPIDs(keptPIDs, got) {
		t.Errorf("the other model's workloads changed: %v -> %v", keptPIDs, got)
	}
	if !e2eutil.IsReady(c.Record("kept")) {
		t.Error("the other model is not Ready any more")
	}
	c.mustPredictEqual("kept", fixture.monoB, "the other model after the delete")
}

func equalPIDs(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
