package e2eutil

import (
	"fmt"
	"strings"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

// IsReady reports whether the record's Ready condition is True.
func IsReady(r *distributedmodel.Record) bool {
	c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady)
	return c != nil && c.Status == v1alpha1.ConditionTrue
}

// StatusSummary renders a record's revisions and conditions for failure
// messages.
func StatusSummary(r *distributedmodel.Record) string {
	var parts []string
	for _, c := range r.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("applied %q attempted %q; %s", r.Status.LastAppliedRevision, r.Status.LastAttemptedRevision,
		strings.Join(parts, "; "))
}

// CountReasons counts events by reason, folded occurrences included.
func CountReasons(evs []store.Event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e.Reason] += e.Occurrences()
	}
	return out
}

// EventsWithReason lists the events with that reason, in order.
func EventsWithReason(evs []store.Event, reason string) []store.Event {
	var out []store.Event
	for _, e := range evs {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}
