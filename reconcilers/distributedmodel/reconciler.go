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
	// MaxModelBytes bounds a model file (default DefaultMaxModelBytes).
	MaxModelBytes int64
	// ModelFiles, when set, is told which model file each model uses, so
	// that a change to the file triggers a reconcile at once.
	ModelFiles interface{ Track(model, path string) }

	specsOnce sync.Once
	specs     *SpecIndex
	models    modelCache
	inflight  inflight
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

// Specs is the reconciler's incremental index of its specs directory.
func (r *Reconciler) Specs() *SpecIndex {
	r.specsOnce.Do(func() { r.specs = NewSpecIndex(r.SpecsDir) })
	return r.specs
}

// Cancel ends the reconcile of name in progress, if any (its spec was
// deleted: a running benchmark or slicing stops).
func (r *Reconciler) Cancel(name string) { r.inflight.cancel(name) }

// Reconcile implements reconcilers.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcilers.Request) (reconcilers.Result, error) {
	// A name becomes a path, a service and a network name: nothing is done
	// with one that is not a DNS label.
	if err := v1alpha1.ValidateName(req.Name); err != nil {
		return reconcilers.Result{}, reconcilers.Terminal(err)
	}
	ctx, done := r.inflight.track(ctx, req.Name)
	defer done()
	log := r.Log.With(zap.String("model", req.Name))
	decls, err := r.Specs().Scan()
	if err != nil {
		return reconcilers.Result{}, err
	}
	found := decls[req.Name]
	rec, known, err := LoadRecord(r.Store, req.Name)
	rebuilt := false
	if err != nil {
		if !known || !errors.Is(err, store.ErrCorrupt) {
			return reconcilers.Result{}, err // unreadable, not corrupt: retry
		}
		// The state is a cache of what the runtime reports: start afresh
		// and let this reconcile find the workloads, profile and
		// artifacts again.
		log.Warn("model state is corrupt: rebuilding it", zap.Error(err))
		rec, rebuilt = &Record{Name: req.Name}, true
	}
	if len(found) == 0 {
		if errs := brokenIn(decls, rec.SpecFile); known && rec.SpecFile != "" && len(errs) > 0 {
			s := &session{r: r, log: log, rec: rec, name: req.Name}
			defer s.save()
			return s.quarantine(errors.Join(errs...))
		}
		return reconcilers.Result{}, r.finalize(ctx, log, req.Name, rec, known)
	}
	s := &session{r: r, log: log, rec: rec, name: req.Name}
	if !known || rebuilt {
		rec.CreatedAt = r.now()
	}
	defer s.save()
	if rebuilt {
		s.event(true, "StateRebuilt", "the state file of %s was corrupt (%v): rebuilt from the runtime's workloads", req.Name, err)
	}
	switch {
	case len(found) > 1:
		files := make([]string, len(found))
		for i, d := range found {
			files[i] = fmt.Sprintf("%s (line %d)", d.File, d.Line)
		}
		return s.quarantine(fmt.Errorf("model %q is declared more than once: %s", req.Name, strings.Join(files, ", ")))
	case found[0].Err != nil:
		return s.quarantine(found[0].Err)
	}
	s.decl = found[0]
	s.obj = found[0].Object
	s.rec.SpecFile = s.decl.File
	s.observeGeneration()
	if s.obj.Spec.Suspend != nil && *s.obj.Spec.Suspend {
		s.setCondition(v1alpha1.ConditionReconciling, v1alpha1.ConditionFalse, v1alpha1.ReasonSuspended, "reconciliation is suspended")
		return reconcilers.Result{}, nil
	}
	if holder := r.portHolder(s, decls); holder != "" {
		return s.stall(v1alpha1.ReasonPortConflict, fmt.Errorf("spec.gateway.port %d on %s is taken by model %q",
			gatewayPort(s.obj), s.obj.Spec.SourceNode, holder))
	}
	return s.reconcile(ctx)
}

// portHolder returns the other model that claims the same gateway port on
// the same source node and keeps it: the one deployed first (its record is
// older), or, when neither was, the first by name. "" when there is none.
func (r *Reconciler) portHolder(s *session, decls map[string][]Declaration) string {
	port, src := gatewayPort(s.obj), s.obj.Spec.SourceNode.String()
	for name, ds := range decls {
		if name == s.name || name == "" || len(ds) != 1 || ds[0].Object == nil {
			continue
		}
		o := ds[0].Object
		if gatewayPort(o) != port || o.Spec.SourceNode.String() != src || (o.Spec.Suspend != nil && *o.Spec.Suspend) {
			continue
		}
		other, known, err := LoadRecord(r.Store, name)
		switch {
		case err != nil || !known:
			if !s.rec.CreatedAt.IsZero() && s.rec.Status.LastAppliedRevision != "" {
				continue // this one serves already; the newcomer waits
			}
			if name < s.name {
				return name
			}
		case other.CreatedAt.Before(s.rec.CreatedAt) || (other.CreatedAt.Equal(s.rec.CreatedAt) && name < s.name):
			return name
		}
	}
	return ""
}

// gatewayPort is the port the model's gateway publishes.
func gatewayPort(obj *v1alpha1.DistributedModel) int { return int(v1alpha1.GatewayPort(&obj.Spec)) }

// quarantine reports a spec that cannot be acted on (it does not parse or
// validate, or the model is declared twice) and leaves the last applied
// state running: bad input never deletes.
func (s *session) quarantine(err error) (reconcilers.Result, error) {
	msg := err.Error()
	if rev := s.rec.Status.LastAppliedRevision; rev != "" {
		msg += fmt.Sprintf(" (revision %s keeps serving until the spec is fixed)", rev)
	}
	return s.stall(v1alpha1.ReasonInvalidSpec, errors.New(msg))
}

// inflight tracks the reconciles in progress by name, to cancel them.
type inflight struct {
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
}

func (f *inflight) track(ctx context.Context, name string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	if f.cancels == nil {
		f.cancels = map[string]context.CancelFunc{}
	}
	f.cancels[name] = cancel
	f.mu.Unlock()
	return ctx, func() {
		f.mu.Lock()
		delete(f.cancels, name)
		f.mu.Unlock()
		cancel()
	}
}

func (f *inflight) cancel(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.cancels[name]; ok {
		c()
	}
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
			// A record that cannot be read may name any set: prune
			// nothing until it is rebuilt.
			r.Log.Warn("not pruning artifacts: a model's state is unreadable", zap.String("other", n), zap.Error(err))
			return nil
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
		if err != nil || rec.ProfileKey == key {
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
	// dry, when set, makes this a dry run: decisions are recorded in it
	// and nothing is written, measured or deployed.
	dry *Diff
}

func (s *session) dryRun() bool { return s.dry != nil }

// diff is where a dry run records its decisions (a scratch Diff otherwise).
func (s *session) diff() *Diff {
	if s.dry != nil {
		return s.dry
	}
	return &Diff{}
}

// note records a yes with its first reason.
func (s *session) note(flag *bool, reason *string, why string) {
	if !*flag {
		*flag, *reason = true, why
	}
}

func (s *session) save() {
	if s.dryRun() {
		return
	}
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
	if s.dryRun() {
		return
	}
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
	s.rec.Labels, s.rec.Annotations = s.obj.Labels, s.obj.Annotations
	s.rec.Status.ObservedGeneration = s.rec.Generation
	v1alpha1.RemoveCondition(&s.rec.Status.Conditions, v1alpha1.ConditionStalled)
}

// SpecHash is the digest of a defaulted spec that generations count.
func SpecHash(obj *v1alpha1.DistributedModel) string { return specHash(obj) }

func specHash(obj *v1alpha1.DistributedModel) string {
	return store.Key(obj.Spec)
}

// modelCache keeps the last decoded models and analyses, keyed by digest.
type modelCache struct {
	mu      sync.Mutex
	digests map[string]fileDigest
	entries []*cachedModel
}
