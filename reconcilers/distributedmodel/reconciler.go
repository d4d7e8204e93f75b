package distributedmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// Reconciler converges DistributedModels.
type Reconciler struct {
	SpecsDir string
	Store    *store.Store
	Runtime  runtime.Runtime
	Log      *zap.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// ReadyRequeue is how often a Ready model is checked again (default 15s).
	ReadyRequeue time.Duration

	models modelCache
	// artifactsMu orders writing partition sets (and saving the record that
	// names them) before pruning the sets no record names.
	artifactsMu sync.Mutex
	// benchSets counts the benchmarks using each benchmark partition set
	// (by key): no record names them, so pruning must skip them meanwhile.
	benchSets map[string]int
}

// NewReconciler wires a reconciler.
func NewReconciler(specsDir string, st *store.Store, rt runtime.Runtime, log *zap.Logger) *Reconciler {
	return &Reconciler{SpecsDir: specsDir, Store: st, Runtime: rt, Log: log}
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Reconcile implements reconcilers.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcilers.Request) (reconcilers.Result, error) {
	log := r.Log.With(zap.String("model", req.Name))
	decls, err := ScanSpecs(r.SpecsDir)
	if err != nil {
		return reconcilers.Result{}, err
	}
	found := decls[req.Name]
	rec, known, err := LoadRecord(r.Store, req.Name)
	if err != nil {
		return reconcilers.Result{}, err
	}
	if len(found) == 0 {
		return reconcilers.Result{}, r.finalize(ctx, log, req.Name, rec, known)
	}
	s := &session{r: r, log: log, rec: rec, name: req.Name}
	if !known {
		rec.CreatedAt = r.now()
	}
	defer s.save()
	switch {
	case len(found) > 1:
		files := make([]string, len(found))
		for i, d := range found {
			files[i] = fmt.Sprintf("%s (line %d)", d.File, d.Line)
		}
		return s.stall(v1alpha1.ReasonInvalidSpec, fmt.Errorf("model %q is declared more than once: %s", req.Name, strings.Join(files, ", ")))
	case found[0].Err != nil:
		return s.stall(v1alpha1.ReasonInvalidSpec, found[0].Err)
	}
	s.decl = found[0]
	s.obj = found[0].Object
	s.observeGeneration()
	if s.obj.Spec.Suspend != nil && *s.obj.Spec.Suspend {
		s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionFalse, v1alpha1.ReasonSuspended, "reconciliation is suspended")
		return reconcilers.Result{}, nil
	}
	return s.reconcile(ctx)
}

// finalize removes everything papdl created for a model whose spec is gone.
func (r *Reconciler) finalize(ctx context.Context, log *zap.Logger, name string, rec *Record, known bool) error {
	observed, err := r.Runtime.List(ctx, name)
	if err != nil {
		return fmt.Errorf("list workloads of deleted model %s: %w", name, err)
	}
	if !known && len(observed) == 0 {
		return nil
	}
	if err := r.Runtime.Clean(ctx, name); err != nil {
		return fmt.Errorf("clean up deleted model %s: %w", name, err)
	}
	if err := r.Store.DeleteModel(name); err != nil {
		return fmt.Errorf("delete state of %s: %w", name, err)
	}
	if err := r.pruneArtifacts(); err != nil {
		return err
	}
	if err := r.removeProfile(rec.ProfileKey); err != nil {
		return err
	}
	log.Info("model deleted: workloads, state and unused artifacts removed", zap.Int("workloads", len(observed)))
	return nil
}

// pruneArtifacts removes partition sets no model's record refers to.
func (r *Reconciler) pruneArtifacts() error {
	r.artifactsMu.Lock()
	defer r.artifactsMu.Unlock()
	names, err := r.Store.ModelNames()
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, n := range names {
		rec, _, err := LoadRecord(r.Store, n)
		if err != nil {
			return err
		}
		if rec.ArtifactKey != "" {
			keep[rec.ArtifactKey] = true
		}
	}
	for key := range r.benchSets {
		keep[key] = true
	}
	_, err = r.Store.PruneArtifacts(keep)
	return err
}

// removeProfile removes a deleted model's cluster profile unless another
// model's record still names it.
func (r *Reconciler) removeProfile(key string) error {
	if key == "" {
		return nil
	}
	names, err := r.Store.ModelNames()
	if err != nil {
		return err
	}
	for _, n := range names {
		rec, _, err := LoadRecord(r.Store, n)
		if err != nil {
			return err
		}
		if rec.ProfileKey == key {
			return nil
		}
	}
	path, err := r.Store.ProfilePath(key)
	if err != nil {
		return fmt.Errorf("remove profile: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove profile %s: %w", key, err)
	}
	return nil
}

// session is one reconcile of one model.
type session struct {
	r    *Reconciler
	log  *zap.Logger
	name string
	rec  *Record
	decl Declaration
	obj  *v1alpha1.DistributedModel
}

func (s *session) save() {
	path, err := RecordPath(s.r.Store, s.name)
	if err == nil {
		err = store.WriteJSON(path, s.rec)
	}
	if err != nil {
		s.log.Error("saving status failed", zap.Error(err))
	}
}

func (s *session) setCondition(t v1alpha1.ConditionType, status v1alpha1.ConditionStatus, reason, msg string) {
	v1alpha1.SetCondition(&s.rec.Status.Conditions, v1alpha1.Condition{Type: t, Status: status, Reason: reason,
		Message: msg, ObservedGeneration: s.rec.Generation}, s.r.now())
}

// event records an event in the model's log and at info/warn level.
func (s *session) event(warning bool, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	typ := "Normal"
	if warning {
		typ = "Warning"
		s.log.Warn(msg, zap.String("reason", reason))
	} else {
		s.log.Info(msg, zap.String("reason", reason))
	}
	if err := s.r.Store.AppendEvent(s.name, store.Event{Time: s.r.now(), Type: typ, Reason: reason, Message: msg}); err != nil {
		s.log.Error("recording event failed", zap.Error(err))
	}
}

// progress marks the model Reconciling with a message before a slow step.
// A model re-placed after losing a node keeps that reason until Ready.
func (s *session) progress(reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c := v1alpha1.FindCondition(s.rec.Status.Conditions, v1alpha1.ConditionReconciling); c != nil &&
		c.Status == v1alpha1.ConditionTrue && c.Reason == reasonNodeUnavailable {
		reason = reasonNodeUnavailable
	}
	s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionTrue, reason, msg)
	s.save()
}

// stall marks the model Stalled: invalid input no retry can fix. The queue
// does not back off; the next spec change or resync looks again.
func (s *session) stall(reason string, err error) (reconcilers.Result, error) {
	s.setCondition(v1alpha1.ConditionStalled, v1alpha1.ConditionTrue, reason, err.Error())
	s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionFalse, reason, err.Error())
	s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionFalse, reason, "stalled: fix the spec or the model file")
	s.event(true, reason, "%v", err)
	return reconcilers.Result{}, reconcilers.Terminal(err)
}

// fail marks the current step failed (Ready False) and returns err for a
// retry with backoff.
func (s *session) fail(cond v1alpha1.ConditionType, reason string, err error) (reconcilers.Result, error) {
	s.setCondition(cond, v1alpha1.ConditionFalse, reason, err.Error())
	s.setCondition(v1alpha1.ConditionReady, v1alpha1.ConditionFalse, reason, err.Error())
	s.event(true, reason, "%v", err)
	return reconcilers.Result{}, err
}

// observeGeneration bumps the generation when the spec changed.
func (s *session) observeGeneration() {
	h := specHash(s.obj)
	if h != s.rec.SpecHash {
		s.rec.Generation++
		s.rec.SpecHash = h
	}
	s.obj.Generation = s.rec.Generation
	s.rec.Spec = &s.obj.Spec
	s.rec.Status.ObservedGeneration = s.rec.Generation
	v1alpha1.RemoveCondition(&s.rec.Status.Conditions, v1alpha1.ConditionStalled)
}

func specHash(obj *v1alpha1.DistributedModel) string {
	return store.Key(obj.Spec)
}

// modelCache keeps the last decoded models and analyses, keyed by digest.
type modelCache struct {
	mu      sync.Mutex
	digests map[string]fileDigest
	entries []*cachedModel
}
