package distributedmodel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/profile"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// Diff is what reconciling a spec would do, computed without doing it.
type Diff struct {
	Name              string
	New               bool
	SpecChanged       bool
	Reslice           bool
	ResliceReason     string
	Rebenchmark       bool
	RebenchmarkReason string
	Replace           bool
	ReplaceReason     string
	// Workloads lists each workload's fate; empty when it depends on a
	// benchmark that has not run.
	Workloads []WorkloadChange
}

// WorkloadChange is one workload's fate: create, replace, remove, restart
// or keep.
type WorkloadChange struct {
	Name, Action, Detail string
}

// Diff computes, for the spec named name in r.SpecsDir, what Reconcile
// would do against the stored state and the runtime's nodes and workloads.
func (r *Reconciler) Diff(ctx context.Context, name string) (*Diff, error) {
	decls, err := ScanSpecs(r.SpecsDir)
	if err != nil {
		return nil, err
	}
	found := decls[name]
	if len(found) != 1 {
		return nil, fmt.Errorf("expected one declaration of %q, found %d", name, len(found))
	}
	if found[0].Err != nil {
		return nil, found[0].Err
	}
	obj, decl := found[0].Object, found[0]
	spec := &obj.Spec
	rec, known, err := LoadRecord(r.Store, name)
	if err != nil {
		return nil, err
	}
	d := &Diff{Name: name, New: !known, SpecChanged: specHash(obj) != rec.SpecHash}

	path := spec.Model.ResolvePath(decl.dirOf())
	sha, err := r.models.digest(path)
	if err != nil {
		return nil, fmt.Errorf("spec.model.path: %w", err)
	}
	modelChanged := sha != rec.ModelSHA256
	if modelChanged {
		d.Reslice, d.ResliceReason = true, "the model file is new or changed"
	}
	m, err := loadVerified(path, sha)
	if err != nil {
		return nil, err
	}
	inputName, shape, err := InputShape(m, spec)
	if err != nil {
		return nil, err
	}
	shapeChanged := inputName != rec.InputName || fmt.Sprint(shape) != fmt.Sprint(rec.InputShape)
	if shapeChanged && !d.Reslice {
		d.Reslice, d.ResliceReason = true, fmt.Sprintf("the input shape changes to %v", shape)
	}

	nodes, err := r.Runtime.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	var ready []runtime.Node
	for _, n := range nodes {
		if n.Ready {
			ready = append(ready, n)
		}
	}
	var old *profile.ClusterProfile
	if rec.ProfileKey != "" {
		if path, err := r.Store.ProfilePath(rec.ProfileKey); err == nil {
			old, _ = profile.LoadFile(path)
		}
	}
	maxAge := v1alpha1.DefaultMaxAge
	if b := spec.Benchmark; b != nil && b.MaxAge != nil {
		maxAge = b.MaxAge.Duration
	}
	switch {
	case old == nil:
		d.Rebenchmark, d.RebenchmarkReason = true, "no profile yet"
	case modelChanged || shapeChanged:
		d.Rebenchmark, d.RebenchmarkReason = true, "the model or its input changed"
	default:
		if why := coverage(old, ready, sha); why != "" {
			d.Rebenchmark, d.RebenchmarkReason = true, why
		} else if age, ok := old.Age(time.Now()); ok && age > maxAge {
			d.Rebenchmark, d.RebenchmarkReason = true, fmt.Sprintf("the profile is %s old", age.Round(time.Second))
		}
	}
	if d.Rebenchmark {
		d.Replace, d.ReplaceReason = true, "after the benchmark (the plan depends on its measurements)"
		return d, nil
	}

	prof := restrict(old, ready)
	req, err := planner.RequestFromSpec(spec, prof)
	if err != nil {
		return nil, err
	}
	plan, err := planner.Solve(prof, req)
	if err != nil {
		return nil, err
	}
	var oldPlan planner.Plan
	planPath, err := PlanPath(r.Store, name)
	if err != nil {
		return nil, err
	}
	hadPlan, err := store.ReadJSON(planPath, &oldPlan)
	if err != nil {
		return nil, err
	}
	if !hadPlan || describePlan(&oldPlan) != describePlan(plan) {
		d.Replace, d.ReplaceReason = true, describePlan(plan)
	}
	if !d.Reslice {
		var cuts []int
		for _, p := range plan.Partitions[:len(plan.Partitions)-1] {
			cuts = append(cuts, p.End-1)
		}
		key := store.Key(sha, inputName, shape, cuts)
		dir, err := r.Store.ArtifactDir(key)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(dir, slice.ManifestFile)); err != nil {
			d.Reslice, d.ResliceReason = true, fmt.Sprintf("the new placement cuts after units %v", cuts)
		}
	}
	observed, err := r.Runtime.List(ctx, name)
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, o := range observed {
		running[o.Name] = o.Running
	}
	last := func(p *planner.Plan, i int) bool { return i == len(p.Partitions)-1 }
	for i, p := range plan.Partitions {
		wl := WorkloadChange{Name: WorkloadName(name, i)}
		switch {
		case !hadPlan || i >= len(oldPlan.Partitions):
			wl.Action, wl.Detail = "create", fmt.Sprintf("units %d-%d on %s", p.Start, p.End-1, p.Hostname)
		case oldPlan.Partitions[i].Start != p.Start || oldPlan.Partitions[i].End != p.End || modelChanged || shapeChanged:
			wl.Action, wl.Detail = "replace", fmt.Sprintf("units %d-%d -> %d-%d", oldPlan.Partitions[i].Start, oldPlan.Partitions[i].End-1, p.Start, p.End-1)
		case oldPlan.Partitions[i].Node != p.Node:
			wl.Action, wl.Detail = "replace", fmt.Sprintf("moves %s -> %s", oldPlan.Partitions[i].Hostname, p.Hostname)
		case last(&oldPlan, i) != last(plan, i):
			wl.Action, wl.Detail = "replace", "sends to a different next hop"
		case !running[wl.Name]:
			wl.Action, wl.Detail = "restart", "not running now"
		default:
			wl.Action = "keep"
		}
		d.Workloads = append(d.Workloads, wl)
	}
	if hadPlan {
		for i := len(plan.Partitions); i < len(oldPlan.Partitions); i++ {
			d.Workloads = append(d.Workloads, WorkloadChange{Name: WorkloadName(name, i), Action: "remove"})
		}
	}
	gw := WorkloadChange{Name: WorkloadName(name, -1), Action: "keep"}
	switch {
	case !hadPlan:
		gw.Action = "create"
	case oldPlan.SourceNode != plan.SourceNode || modelChanged || shapeChanged:
		gw.Action = "replace"
	case !running[gw.Name]:
		gw.Action = "restart"
	}
	d.Workloads = append(d.Workloads, gw)
	return d, nil
}
