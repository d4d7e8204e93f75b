package distributedmodel

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
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
	dir := s.r.Store.ArtifactDir(key)
	// Artifacts are pruned by the keys the saved records name: hold the
	// lock until this model's saved record names the set it uses, so that
	// no prune (of this or another model) removes it meanwhile.
	s.r.artifactsMu.Lock()
	defer s.r.artifactsMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, slice.ManifestFile)); err == nil {
		if s.rec.ArtifactKey != key {
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

// WorkloadName names a model's partition (index >= 0) or gateway (-1).
func WorkloadName(model string, partition int) string { return runtime.WorkloadName(model, partition) }

// desiredWorkloads turns a plan and its partition set into workloads.
func (s *session) desiredWorkloads(plan *planner.Plan, dir string, man *slice.Manifest, revision string) ([]runtime.Workload, error) {
	if len(man.Partitions) != len(plan.Partitions) {
		return nil, fmt.Errorf("partition set %s has %d partitions, the plan %d", dir, len(man.Partitions), len(plan.Partitions))
	}
	port := int(v1alpha1.DefaultGatewayPort)
	var tokenFile string
	if g := s.obj.Spec.Gateway; g != nil {
		if g.Port != nil {
			port = int(*g.Port)
		}
		tokenFile = g.TokenFile
	}
	manifest := filepath.Join(dir, slice.ManifestFile)
	out := make([]runtime.Workload, 0, len(plan.Partitions)+1)
	for i, p := range plan.Partitions {
		mp := man.Partitions[i]
		next := WorkloadName(s.name, i+1)
		if i == len(plan.Partitions)-1 {
			next = WorkloadName(s.name, -1)
		}
		out = append(out, runtime.Workload{
			Name: WorkloadName(s.name, i), Model: s.name, Role: runtime.RolePartition, Partition: i,
			Node: p.Node, Revision: revision, ArtifactPath: filepath.Join(dir, mp.File), ArtifactSHA256: mp.SHA256,
			ManifestPath: manifest, Next: next, MemoryReservation: p.MemoryBytes,
		})
	}
	out = append(out, runtime.Workload{
		Name: WorkloadName(s.name, -1), Model: s.name, Role: runtime.RoleGateway, Partition: -1,
		Node: plan.SourceNode, Revision: revision, ManifestPath: manifest, Next: WorkloadName(s.name, 0), Port: port,
		TokenFile: tokenFile,
		// The gateway reads the model's inputs and outputs from the manifest:
		// they change with the model file and the input shape only.
		ArtifactSHA256: store.Key(s.rec.ModelSHA256, s.rec.InputName, s.rec.InputShape),
	})
	return out, nil
}

// deploy applies the workloads that changed, removes the ones no longer
// wanted and reports readiness.
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
	changed := 0
	for _, w := range desired {
		wanted[w.Name] = true
		o, existed := byName[w.Name]
		did, err := s.r.Runtime.Apply(ctx, w)
		if err != nil {
			return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("apply %s: %w", w.Name, err))
		}
		if !did {
			continue
		}
		changed++
		switch {
		case !existed:
			s.event(false, "Deployed", "started %s on node %s", w.Name, w.Node)
		case o.Hash == w.Hash() && !o.Running:
			s.event(true, "PartitionRestarted", "restarted %s on node %s (it was not running: %s)", w.Name, w.Node, o.Message)
		case o.Hash == w.Hash():
			s.event(false, "Updated", "updated %s: the runtime's definition of it changed (artifact locations, node image)", w.Name)
		default:
			s.event(false, "Redeployed", "replaced %s (now on node %s)", w.Name, w.Node)
		}
	}
	for _, o := range observed {
		if !wanted[o.Name] {
			if err := s.r.Runtime.Remove(ctx, o.Name); err != nil {
				return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("remove %s: %w", o.Name, err))
			}
			changed++
			s.event(false, "Pruned", "removed %s, which the placement no longer uses", o.Name)
		}
	}
	s.setCondition(v1alpha1.ConditionDeployed, v1alpha1.ConditionTrue, v1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d workloads (%d changed this time)", len(desired), changed))
	return s.checkReady(ctx, plan, desired, revision)
}

// checkReady reads the workloads back and asks the gateway whether the whole
// chain answers.
func (s *session) checkReady(ctx context.Context, plan *planner.Plan, desired []runtime.Workload, revision string) (reconcilers.Result, error) {
	observed, err := s.r.Runtime.List(ctx, s.name)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, fmt.Errorf("list workloads: %w", err))
	}
	running := map[string]bool{}
	for _, o := range observed {
		running[o.Name] = o.Running && o.Hash == o.Workload.Hash()
	}
	gw := desired[len(desired)-1]
	endpoint, err := s.r.Runtime.Endpoint(ctx, gw)
	if err != nil {
		return s.fail(v1alpha1.ConditionDeployed, v1alpha1.ReasonDeployFailed, err)
	}
	s.rec.Status.Endpoint = endpoint
	pl := &v1alpha1.PlacementStatus{Objective: plan.Objective}
	lat, thr := plan.Totals.LatencySeconds, plan.Totals.Throughput
	pl.PredictedLatencySeconds, pl.PredictedThroughput = &lat, &thr
	allRunning := running[gw.Name]
	for i, p := range plan.Partitions {
		name := WorkloadName(s.name, i)
		allRunning = allRunning && running[name]
		pl.Partitions = append(pl.Partitions, v1alpha1.PartitionStatus{Index: int32(i),
			Units: v1alpha1.IndexRange{Start: int32(p.Start), End: int32(p.End)}, Node: p.Node, Hostname: p.Hostname,
			Service: name, Ready: running[name]})
	}
	s.rec.Status.Placement = pl
	chainReady := allRunning && gatewayReady(ctx, endpoint)
	if !chainReady {
		msg, reason := "waiting for the partitions and the gateway to answer", v1alpha1.ReasonProgressing
		if c := v1alpha1.FindCondition(s.rec.Status.Conditions, v1alpha1.ConditionReconciling); c != nil &&
			c.Status == v1alpha1.ConditionTrue && c.Reason == reasonNodeUnavailable {
			// Keep saying why until the model is whole again.
			reason, msg = reasonNodeUnavailable, "re-placed after a node became unavailable: "+msg
		}
		s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionFalse, v1alpha1.ReasonServicesNotReady, msg)
		s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionTrue, reason, msg)
		return reconcilers.Result{RequeueAfter: time.Second}, nil
	}
	for i := range pl.Partitions {
		pl.Partitions[i].Ready = true
	}
	if mean, ok := measuredLatency(ctx, endpoint); ok {
		s.rec.MeasuredLatencySeconds = &mean
	}
	if s.rec.Status.LastAppliedRevision != revision {
		s.event(false, "Ready", "revision %s is serving at %s", revision, endpoint)
	}
	s.rec.Status.LastAppliedRevision = revision
	s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionTrue, v1alpha1.ReasonServing, "serving at "+endpoint)
	s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionFalse, v1alpha1.ReasonSucceeded, "revision "+revision+" applied")
	if err := s.r.pruneArtifacts(); err != nil {
		s.log.Warn("pruning artifacts failed")
	}
	every := s.r.ReadyRequeue
	if every <= 0 {
		every = 15 * time.Second
	}
	return reconcilers.Result{RequeueAfter: every}, nil
}

// gatewayReady asks GET /v2/health/ready, which answers 200 only when the
// whole chain answers.
func gatewayReady(ctx context.Context, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/v2/health/ready", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// measuredLatency reads the gateway's mean inference latency so far from
// its Prometheus metrics (sum / count of papdl_gateway_inference_seconds).
func measuredLatency(ctx context.Context, endpoint string) (float64, bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var sum, count float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "papdl_gateway_inference_seconds_sum":
			sum = v
		case "papdl_gateway_inference_seconds_count":
			count = v
		}
	}
	if count == 0 {
		return 0, false
	}
	return sum / count, true
}
