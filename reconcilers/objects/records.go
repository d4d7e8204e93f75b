package objects

import (
	"fmt"
	"strings"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/store"
)

// LoadRecords reads the records of the named models, or of every model with
// state when names is empty. A damaged record (the controller rebuilds it)
// does not hide the others: it is returned with Ready=Unknown, reason
// StateUnreadable. A named model without state is an error wrapping
// ErrNotFound.
func LoadRecords(st *store.Store, names []string) ([]*distributedmodel.Record, error) {
	if len(names) == 0 {
		var err error
		if names, err = st.ModelNames(); err != nil {
			return nil, err
		}
	}
	var out []*distributedmodel.Record
	for _, n := range names {
		rec, found, err := distributedmodel.LoadRecord(st, n)
		if err != nil && found {
			rec = &distributedmodel.Record{Name: n}
			rec.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: v1alpha1.ConditionUnknown,
				Reason: "StateUnreadable", Message: err.Error()}}
			out = append(out, rec)
			continue
		}
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("distributedmodel %q not found in %s: %w", n, st.Dir(), ErrNotFound)
		}
		out = append(out, rec)
	}
	return out, nil
}

// AsObject renders a record as the DistributedModel users know.
func AsObject(rec *distributedmodel.Record) *v1alpha1.DistributedModel {
	obj := &v1alpha1.DistributedModel{
		TypeMeta:   v1alpha1.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindDistributedModel},
		ObjectMeta: v1alpha1.ObjectMeta{Name: rec.Name, Generation: rec.Generation, Labels: rec.Labels, Annotations: rec.Annotations},
		Status:     rec.Status,
	}
	if rec.Spec != nil {
		obj.Spec = *rec.Spec
	}
	return obj
}

// LoadPlan reads a model's current plan; nil when it has none.
func LoadPlan(st *store.Store, name string) (*planner.Plan, error) {
	path, err := distributedmodel.PlanPath(st, name)
	if err != nil {
		return nil, err
	}
	var plan planner.Plan
	found, err := store.ReadJSON(path, &plan)
	if err != nil || !found {
		return nil, err
	}
	return &plan, nil
}

// Observation is what `wait` decides on: the controller's record of a model
// next to the spec the specs directory declares for it now.
type Observation struct {
	// Record is the controller's record; nil when it has none (or it is
	// being rewritten).
	Record *distributedmodel.Record `json:"record,omitempty"`
	// RecordError says why a record that exists could not be read.
	RecordError string `json:"recordError,omitempty"`
	// Declared is true when a spec file declares the model, valid or not.
	Declared bool `json:"declared"`
	// SpecHash is the hash of the valid spec declared now ("" when none).
	SpecHash string `json:"specHash,omitempty"`
	// SpecsReadable is false when the specs directory could not be read
	// (Declared and SpecHash then say nothing).
	SpecsReadable bool `json:"specsReadable"`
}

// Observe reads a model's record and its current declaration.
func Observe(st *store.Store, specs *distributedmodel.SpecIndex, name string) Observation {
	var o Observation
	rec, found, err := distributedmodel.LoadRecord(st, name)
	switch {
	case err != nil:
		o.RecordError = err.Error()
	case found:
		o.Record = rec
	}
	if decls, err := specs.Scan(); err == nil {
		o.SpecsReadable = true
		o.Declared = len(decls[name]) > 0
		for _, d := range decls[name] {
			if d.Object != nil {
				o.SpecHash = distributedmodel.SpecHash(d.Object)
			}
		}
	}
	return o
}

// WaitFor is what `wait --for` waits for: a condition to be True for the
// spec declared now, or the model to be gone.
type WaitFor struct {
	// Condition is the condition type; "" means deletion.
	Condition v1alpha1.ConditionType
}

// ParseWaitFor reads "condition=TYPE" or "delete".
func ParseWaitFor(s string) (WaitFor, error) {
	if s == "delete" {
		return WaitFor{}, nil
	}
	if c, ok := strings.CutPrefix(s, "condition="); ok && c != "" {
		return WaitFor{Condition: v1alpha1.ConditionType(c)}, nil
	}
	return WaitFor{}, fmt.Errorf("--for %s: want condition=TYPE or delete", s)
}

// Check decides on one observation: done when the wait is over, a message
// saying what was seen otherwise, and an error when waiting longer is
// pointless (the model is stalled, or neither declared nor known). A
// condition observed for an older generation (the spec changed since) does
// not count.
func (w WaitFor) Check(name string, o Observation) (done bool, msg string, err error) {
	rec := o.Record
	if w.Condition == "" {
		if rec == nil && o.RecordError == "" {
			return true, fmt.Sprintf("distributedmodel/%s deleted", name), nil
		}
		return false, "the controller still has state of it", nil
	}
	if rec == nil {
		if o.SpecsReadable && !o.Declared && o.RecordError == "" {
			return false, "", fmt.Errorf("distributedmodel/%s not found: no spec declares it and the controller has no state of it", name)
		}
		if o.RecordError != "" {
			return false, o.RecordError, nil
		}
		return false, "no status yet", nil
	}
	if o.SpecHash != "" && rec.SpecHash != o.SpecHash {
		return false, "the controller has not observed the current spec yet", nil
	}
	want := string(w.Condition)
	if c := v1alpha1.FindCondition(rec.Status.Conditions, w.Condition); c != nil {
		switch {
		case c.Status == v1alpha1.ConditionTrue && c.ObservedGeneration < rec.Generation:
			msg = fmt.Sprintf("%s=True for generation %d, waiting for generation %d", want, c.ObservedGeneration, rec.Generation)
		case c.Status == v1alpha1.ConditionTrue:
			return true, fmt.Sprintf("distributedmodel/%s condition met (%s=True: %s)", name, want, c.Message), nil
		default:
			msg = fmt.Sprintf("%s=%s %s: %s", want, c.Status, c.Reason, c.Message)
		}
	}
	if s := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionStalled); s != nil && s.Status == v1alpha1.ConditionTrue {
		return false, msg, fmt.Errorf("distributedmodel/%s is stalled (%s): %s", name, s.Reason, s.Message)
	}
	return false, msg, nil
}

// Select keeps the records whose labels sel matches, in order.
func Select(recs []*distributedmodel.Record, sel labels.Selector) []*distributedmodel.Record {
	if sel.Empty() {
		return recs
	}
	var out []*distributedmodel.Record
	for _, r := range recs {
		if sel.Matches(r.Labels) {
			out = append(out, r)
		}
	}
	return out
}
