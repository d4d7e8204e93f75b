package distributedmodel

import (
	"context"
	"errors"
	"fmt"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// reconcile is the inner reconcile: numbered steps, each skipping its work
// when its inputs did not change. A dry run (s.dry set) goes through the
// same steps and records what each would do instead of doing it.
func (s *session) reconcile(ctx context.Context) (reconcilers.Result, error) {
	spec := &s.obj.Spec
	// 1. The model file, its digest and the revision.
	path := spec.Model.ResolvePath(s.decl.dirOf())
	if s.r.ModelFiles != nil && !s.dryRun() {
		s.r.ModelFiles.Track(s.name, path)
	}
	sha, err := s.r.models.digest(ctx, path, s.r.maxModelBytes())
	switch {
	case errors.Is(err, errBadModelFile):
		return s.stall(v1alpha1.ReasonModelNotFound, fmt.Errorf("spec.model.path: %w", err))
	case err != nil:
		return s.fail(v1alpha1.ConditionSliced, v1alpha1.ReasonModelNotFound, fmt.Errorf("spec.model.path %s: %w", path, err))
	}
	if spec.Model.SHA256 != "" && spec.Model.SHA256 != sha {
		return s.stall(v1alpha1.ReasonChecksumMismatch, fmt.Errorf("model file %s has sha256 %s, spec.model.sha256 pins %s", path, sha, spec.Model.SHA256))
	}
	revision := s.rec.SpecHash[:8] + "-" + sha[:8]
	s.rec.Status.LastAttemptedRevision = revision
	if sha != s.rec.ModelSHA256 {
		if s.rec.ModelSHA256 != "" {
			s.event(false, "ModelChanged", "model file %s changed (sha256 %s -> %s): reslicing", path, short(s.rec.ModelSHA256), short(sha))
		}
		s.note(&s.diff().Reslice, &s.diff().ResliceReason, "the model file is new or changed")
		s.rec.ModelSHA256 = sha
		// The profile stays while the graph does (see step 2).
		s.rec.InputShape, s.rec.PlanKey = nil, ""
	}

	// 2. The concrete input shape and the graph's key (decodes the model
	// only when it changed).
	inputKey := store.Key(spec.Input, spec.BatchSize, sha)
	if s.rec.InputShape == nil || s.rec.InputKey != inputKey {
		m, err := loadVerified(ctx, path, sha, s.r.maxModelBytes())
		if errors.Is(err, errInvalidModel) || errors.Is(err, errBadModelFile) {
			return s.stall(v1alpha1.ReasonSliceFailed, err)
		}
		if err != nil {
			return s.fail(v1alpha1.ConditionSliced, v1alpha1.ReasonSliceFailed, err)
		}
		name, shape, err := InputShape(m, spec)
		if err != nil {
			return s.stall(v1alpha1.ReasonInvalidSpec, fmt.Errorf("%s: %w", path, err))
		}
		if s.rec.InputName != "" && (name != s.rec.InputName || fmt.Sprint(shape) != fmt.Sprint(s.rec.InputShape)) {
			s.note(&s.diff().Reslice, &s.diff().ResliceReason, fmt.Sprintf("the input shape changes to %v", shape))
		}
		s.rec.InputName, s.rec.InputShape, s.rec.InputKey = name, shape, inputKey
		s.rec.GraphKey = store.Key(graphKey(m), name, shape)
	}

	// 3. The nodes that can take work now.
	nodes, err := s.r.Runtime.Nodes(ctx)
	if err != nil {
		return s.fail(v1alpha1.ConditionBenchmarked, v1alpha1.ReasonBenchmarkFailed, fmt.Errorf("list nodes: %w", err))
	}
	var ready []runtime.Node
	for _, n := range nodes {
		if n.Ready {
			ready = append(ready, n)
		}
	}
	if len(ready) == 0 {
		return s.fail(v1alpha1.ConditionBenchmarked, v1alpha1.ReasonNodeNotFound, fmt.Errorf("the %s runtime has no ready node", s.r.Runtime.Name()))
	}

	// 4. The cluster profile: reused while it covers the ready nodes with
	// unchanged resources, measured a graph with the same key and is
	// younger than spec.benchmark.maxAge.
	prof, err := s.ensureProfile(ctx, path, ready)
	switch {
	case errors.Is(err, errDryRunStops):
		return reconcilers.Result{}, nil
	case errors.Is(err, errInvalidModel):
		return s.stall(v1alpha1.ReasonSliceFailed, err)
	case err != nil:
		return s.fail(v1alpha1.ConditionBenchmarked, v1alpha1.ReasonBenchmarkFailed, err)
	}

	// 5. The placement, in the memory other models leave free.
	plan, err := s.ensurePlan(ctx, prof, ready)
	if err != nil {
		return s.fail(v1alpha1.ConditionPlaced, v1alpha1.ReasonNoFeasiblePlacement, err)
	}

	// 6. The partitions of that placement.
	dir, err := s.ensurePartitions(ctx, path, plan)
	if errors.Is(err, errInvalidModel) {
		return s.stall(v1alpha1.ReasonSliceFailed, err)
	}
	if err != nil {
		return s.fail(v1alpha1.ConditionSliced, v1alpha1.ReasonSliceFailed, err)
	}

	// 7. Deploy what changed, prune what is not wanted, check readiness.
	return s.deploy(ctx, plan, dir, revision)
}

// errDryRunStops ends a dry run at a step whose outcome cannot be known
// without doing it (a benchmark).
var errDryRunStops = errors.New("a dry run cannot look past this step")

func (r *Reconciler) maxModelBytes() int64 {
	if r.MaxModelBytes > 0 {
		return r.MaxModelBytes
	}
	return DefaultMaxModelBytes
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func (d Declaration) dirOf() string {
	doc := v1alpha1.Document{File: d.File}
	return doc.Dir()
}
