package distributedmodel

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// ensurePartitions returns the directory of the plan's partition set,
// slicing only when it does not exist yet (content-addressed by model
// digest, input shape and cuts).
func (s *session) ensurePartitions(ctx context.Context, path string, plan *planner.Plan) (string, error) {
	cuts := make([]int, 0, len(plan.Partitions))
	for _, p := range plan.Partitions[:len(plan.Partitions)-1] {
		cuts = append(cuts, p.End-1)
	}
	key := store.Key(s.rec.ModelSHA256, s.rec.InputName, s.rec.InputShape, cuts)
	dir, err := s.r.Store.ArtifactDir(key)
	if err != nil {
		return "", err
	}
	// Artifacts are pruned by the keys the saved records name: hold the
	// lock until this model's saved record names the set it uses, so that
	// no prune (of this or another model) removes it meanwhile.
	s.r.artifactsMu.Lock()
	defer s.r.artifactsMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, slice.ManifestFile)); err == nil {
		if s.rec.ArtifactKey != key && !s.dryRun() {
			s.rec.ArtifactKey = key
			s.save()
		}
		return dir, nil
	}
	a, err := s.analysis(ctx, path)
	if err != nil {
		return "", err
	}
	parts, err := a.Partition(cuts)
	if err != nil {
		return "", err
	}
	if s.dryRun() {
		// Slice into a scratch directory: the workloads' hashes need the
		// partitions' digests.
		s.note(&s.dry.Reslice, &s.dry.ResliceReason, fmt.Sprintf("the placement cuts after units %v", cuts))
		tmp, err := os.MkdirTemp("", "papdl-diff-")
		if err != nil {
			return "", err
		}
		s.dry.tmpDirs = append(s.dry.tmpDirs, tmp)
		if _, err := slice.Write(tmp, a, parts, s.rec.ModelSHA256); err != nil {
			return "", err
		}
		return tmp, nil
	}
	s.progress("Slicing", "writing %d partitions", len(parts))
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if _, err := slice.Write(tmp, a, parts, s.rec.ModelSHA256); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("store partitions: %w", err)
	}
	s.rec.ArtifactKey = key
	s.save()
	s.event(false, "Sliced", "wrote %d partitions of %d units (cuts after units %v)", len(parts), len(a.Units), cuts)
	return dir, nil
}

// WorkloadName names a model's gateway (partition -1) or, for tests and
// tools that address partitions by index, the prefix of its partitions'
// names (see partitionName).
func WorkloadName(model string, partition int) string { return runtime.WorkloadName(model, partition) }

// partitionName names partition w by its content and what follows it
// (w.Next must already be its successor's name): papdl-<model>-p<i>-<hash>.
// A partition whose artifact, node and successors stay the same keeps its
// name, and runs on through a revision change; any other is a new workload
// that starts next to the old one, so that the gateway can switch between
// two whole chains (blue/green).
func partitionName(w runtime.Workload) string {
	w.Name = ""
	return fmt.Sprintf("%s-%s", WorkloadName(w.Model, w.Partition), w.Hash()[:8])
}

// desiredWorkloads turns a plan and its partition set into workloads: the
// partitions, named from the last to the first (partitionName), then the
// gateway, which outlives revisions (what it sends to is its route).
func (s *session) desiredWorkloads(plan *planner.Plan, dir string, man *slice.Manifest, revision string) ([]runtime.Workload, error) {
	if len(man.Partitions) != len(plan.Partitions) {
		return nil, fmt.Errorf("partition set %s has %d partitions, the plan %d", dir, len(man.Partitions), len(plan.Partitions))
	}
	port := gatewayPort(s.obj)
	var tokenFile string
	if g := s.obj.Spec.Gateway; g != nil {
		tokenFile = g.TokenFile
	}
	manifest := filepath.Join(dir, slice.ManifestFile)
	gwName := WorkloadName(s.name, -1)
	out := make([]runtime.Workload, len(plan.Partitions), len(plan.Partitions)+1)
	next := gwName
	for i := len(plan.Partitions) - 1; i >= 0; i-- {
		p, mp := plan.Partitions[i], man.Partitions[i]
		w := runtime.Workload{Model: s.name, Role: runtime.RolePartition, Partition: i,
			Node: p.Node, Revision: revision, ArtifactPath: filepath.Join(dir, mp.File), ArtifactSHA256: mp.SHA256,
			ManifestPath: manifest, Next: next, MemoryReservation: p.MemoryBytes}
		w.Name = partitionName(w)
		out[i], next = w, w.Name
	}
	out = append(out, runtime.Workload{
		Name: gwName, Model: s.name, Role: runtime.RoleGateway, Partition: -1,
		Node: plan.SourceNode, Revision: revision, Port: port, TokenFile: tokenFile,
		// What the planner keeps for it on the source node.
		MemoryReservation: planner.GatewayMemoryBytes,
	})
	return out, nil
}

// deploy starts the workloads of the plan next to the running ones, routes
// the gateway to the new chain once it answers, then removes what the plan
// no longer uses. Where a node has no memory for both, the old workloads
// there stop first (the gateway holds requests meanwhile). Each workload's
// fate comes from fate(), in a dry run as in the real one.
func (s *session) deploy(ctx context.Context, plan *planner.Plan, dir, revision string) (reconcilers.Result, error) {
	man, err := slice.ReadManifest(dir)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, err)
	}
	desired, err := s.desiredWorkloads(plan, dir, man, revision)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, err)
	}
	observed, err := s.r.Runtime.List(ctx, s.name)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("list workloads: %w", err))
	}
	byName := map[string]runtime.Observed{}
	for _, o := range observed {
		byName[o.Name] = o
	}
	wanted := map[string]bool{}
	var fates []WorkloadChange
	for _, w := range desired {
		wanted[w.Name] = true
		o, existed := byName[w.Name]
		fates = append(fates, fate(w, o, existed))
	}
	var old []runtime.Observed
	for _, o := range observed {
		if !wanted[o.Name] {
			old = append(old, o)
			fates = append(fates, WorkloadChange{Name: o.Name, Action: ActionRemove, Detail: "the placement no longer uses it"})
		}
	}
	if s.dryRun() {
		s.dry.Workloads = fates
		return reconcilers.Result{}, nil
	}
	old, err = s.makeRoom(ctx, desired, byName, old)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, err)
	}
	changed := 0
	for i, w := range desired {
		// Apply every workload, kept ones too: the runtime's own
		// definition of it (artifact locations, node image) may drift.
		did, err := s.r.Runtime.Apply(ctx, w)
		if err != nil {
			return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("apply %s: %w", w.Name, err))
		}
		if !did {
			continue
		}
		changed++
		switch f := fates[i]; f.Action {
		case ActionCreate:
			s.event(false, "Deployed", "started %s on node %s", w.Name, w.Node)
		case ActionRestart:
			s.event(true, "PartitionRestarted", "restarted %s on node %s (%s)", w.Name, w.Node, f.Detail)
		case ActionKeep:
			s.event(false, "Updated", "updated %s: the runtime's definition of it changed (artifact locations, node image)", w.Name)
		default:
			s.event(false, "Redeployed", "replaced %s (%s)", w.Name, f.Detail)
		}
	}
	s.setCondition(v1alpha1.ConditionDeployed, v1alpha1.ConditionTrue, v1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d workloads (%d changed this time)", len(desired), changed))
	return s.checkReady(ctx, plan, desired, old, revision, man.SHA256)
}

// makeRoom stops the old workloads on the nodes that have no memory for
// them and the new ones together (stop-then-start there), and returns the
// old workloads left running.
func (s *session) makeRoom(ctx context.Context, desired []runtime.Workload, running map[string]runtime.Observed, old []runtime.Observed) ([]runtime.Observed, error) {
	if len(old) == 0 {
		return old, nil
	}
	nodes, err := s.r.Runtime.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	// What each node would hold with both revisions running.
	held := map[string]int64{}
	for _, o := range running {
		held[o.Node] += o.MemoryReservation
	}
	for _, w := range desired {
		if _, ok := running[w.Name]; !ok {
			held[w.Node] += w.MemoryReservation
		}
	}
	tight := map[string]bool{}
	for _, n := range nodes {
		tight[n.ID] = n.MemoryBytes > 0 && held[n.ID] > n.MemoryBytes
	}
	var left []runtime.Observed
	for _, o := range old {
		if !tight[o.Node] {
			left = append(left, o)
			continue
		}
		if err := s.r.Runtime.Remove(ctx, o.Name); err != nil {
			return nil, fmt.Errorf("remove %s: %w", o.Name, err)
		}
		s.event(false, "Pruned", "stopped %s first: node %s has no memory for the old and the new partitions together (requests are held meanwhile)", o.Name, o.Node)
	}
	return left, nil
}

// route tells the gateway where the new chain is, and reports "" once the
// gateway serves it, else why not yet.
func (s *session) route(ctx context.Context, desired []runtime.Workload, manifestSHA string) string {
	gw, first := desired[len(desired)-1], desired[0]
	st, err := s.r.Runtime.Route(ctx, gw, first, manifestSHA)
	switch {
	case err != nil:
		return fmt.Sprintf("routing the gateway to the new chain: %v", err)
	case st.Pending != nil && st.Error != "":
		return "the gateway waits for the new chain to answer: " + st.Error
	case st.Pending != nil:
		return "the gateway waits for the new chain to answer"
	case st.Current == nil || st.Current.ManifestSHA256 != manifestSHA:
		return "the gateway has not taken the new route yet"
	}
	return ""
}

// checkReady reads the workloads back, routes the gateway to the new chain
// and asks it whether the whole chain answers, and whether the gateway
// answering on the endpoint is this model's, serving this partition set.
// Once it is, the old workloads go.
func (s *session) checkReady(ctx context.Context, plan *planner.Plan, desired []runtime.Workload, old []runtime.Observed, revision, manifestSHA string) (reconcilers.Result, error) {
	observed, err := s.r.Runtime.List(ctx, s.name)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("list workloads: %w", err))
	}
	running := map[string]bool{}
	messages := map[string]string{}
	for _, o := range observed {
		running[o.Name] = o.Running && o.Hash == o.Workload.Hash()
		messages[o.Name] = o.Message
	}
	gw := desired[len(desired)-1]
	endpoint, err := s.r.Runtime.Endpoint(ctx, gw)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, err)
	}
	s.rec.Status.Endpoint = endpoint
	pl := &v1alpha1.PlacementStatus{Objective: plan.Objective}
	lat, thr, xfer := plan.Totals.LatencySeconds, plan.Totals.Throughput, plan.Totals.TransferSeconds
	pl.PredictedLatencySeconds, pl.PredictedThroughput, pl.PredictedTransferSeconds = &lat, &thr, &xfer
	allRunning := running[gw.Name]
	var notRunning []string
	if !running[gw.Name] {
		notRunning = append(notRunning, gw.Name)
	}
	for i, p := range plan.Partitions {
		name := desired[i].Name
		allRunning = allRunning && running[name]
		if !running[name] {
			notRunning = append(notRunning, name)
		}
		compute := p.ComputeSeconds
		pl.Partitions = append(pl.Partitions, v1alpha1.PartitionStatus{Index: int32(i),
			Units: v1alpha1.IndexRange{Start: int32(p.Start), End: int32(p.End)}, Node: p.Node, Hostname: p.Hostname,
			Service: name, Ready: running[name], PredictedComputeSeconds: &compute})
	}
	s.rec.Status.Placement = pl
	msg := "waiting for the partitions and the gateway to answer"
	switch {
	case strings.Contains(messages[gw.Name], "address already in use"):
		// Not a wait: another process holds the port.
		return s.stall(v1alpha1.ReasonPortConflict, fmt.Errorf("the gateway cannot listen on port %d of node %s: %s",
			gw.Port, plan.SourceNode, messages[gw.Name]))
	case !allRunning:
		msg = fmt.Sprintf("waiting for %s to run", strings.Join(notRunning, ", "))
		if m := messages[notRunning[0]]; m != "" {
			msg += ": " + m
		}
	default:
		if why := s.route(ctx, desired, manifestSHA); why != "" {
			msg = why
		} else if why := gatewayServes(ctx, endpoint, s.name, manifestSHA); why != "" {
			msg = why
		} else {
			for _, o := range old {
				if err := s.r.Runtime.Remove(ctx, o.Name); err != nil {
					return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("remove %s: %w", o.Name, err))
				}
				s.event(false, "Pruned", "removed %s, which the placement no longer uses", o.Name)
			}
			return s.ready(ctx, endpoint, revision, pl)
		}
	}
	reason := v1alpha1.ReasonProgressing
	if c := v1alpha1.FindCondition(s.rec.Status.Conditions, v1alpha1.ConditionReconciling); c != nil &&
		c.Status == v1alpha1.ConditionTrue && c.Reason == reasonNodeUnavailable {
		// Keep saying why until the model is whole again.
		reason, msg = reasonNodeUnavailable, "re-placed after a node became unavailable: "+msg
	}
	s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionFalse, v1alpha1.ReasonServicesNotReady, msg)
	s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionTrue, reason, msg)
	return reconcilers.Result{RequeueAfter: time.Second}, nil
}

// ready marks the model Ready: the current generation's revision serves.
func (s *session) ready(ctx context.Context, endpoint, revision string, pl *v1alpha1.PlacementStatus) (reconcilers.Result, error) {
	for i := range pl.Partitions {
		pl.Partitions[i].Ready = true
	}
	s.observe(ctx, endpoint, servingKey(s.rec.PlanKey, revision, s.rec.ProfileKey), pl)
	if s.rec.Status.LastAppliedRevision != revision {
		s.event(false, "Ready", "revision %s is serving at %s", revision, endpoint)
	}
	s.rec.Status.LastAppliedRevision = revision
	s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionTrue, v1alpha1.ReasonServing, "revision "+revision+" serving at "+endpoint)
	s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionFalse, v1alpha1.ReasonSucceeded, "revision "+revision+" applied")
	if err := s.r.pruneArtifacts(); err != nil {
		s.log.Warn("pruning artifacts failed", zap.Error(err))
	}
	every := s.r.ReadyRequeue
	if every <= 0 {
		every = 15 * time.Second
	}
	return reconcilers.Result{RequeueAfter: every}, nil
}

// gatewayServes asks the endpoint's GET /v2/models/NAME/ready, which
// answers 200 only when the whole chain answers, and checks the gateway's
// identity headers: it must serve model name with the manifest of digest
// manifestSHA. It returns "" when so, else what is wrong.
func gatewayServes(ctx context.Context, endpoint, name, manifestSHA string) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/v2/models/"+name+"/ready", nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("the gateway does not answer at %s: %v", endpoint, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch got := resp.Header.Get(chain.HeaderModel); {
	case got != name:
		return fmt.Sprintf("the gateway answering at %s serves model %q, not %q (is another model's gateway on this port?)", endpoint, got, name)
	case resp.Header.Get(chain.HeaderManifestSHA256) != manifestSHA:
		return fmt.Sprintf("the gateway at %s serves partition set %s, not the current %s", endpoint,
			short(resp.Header.Get(chain.HeaderManifestSHA256)), short(manifestSHA))
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("the gateway at %s answers %s: the chain is not whole yet", endpoint, resp.Status)
	}
	return ""
}
