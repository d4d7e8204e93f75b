package distributedmodel

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// Diff is what reconciling a spec would do, found by running the
// reconcile itself in dry-run mode: the same steps and decisions, with
// every write, benchmark, deployment and event left out.
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
	// tmpDirs are partition sets sliced for the dry run only.
	tmpDirs []string
}

// WorkloadChange is one workload's fate: create, replace, remove, restart
// or keep.
type WorkloadChange struct {
	Name, Action, Detail string
}

// Changes reports whether applying the spec would change anything.
func (d *Diff) Changes() bool {
	if d.New || d.SpecChanged || d.Reslice || d.Rebenchmark || d.Replace {
		return true
	}
	for _, w := range d.Workloads {
		if w.Action != ActionKeep {
			return true
		}
	}
	return false
}

// Diff computes what Reconcile would do with decl against the stored state
// and the runtime's nodes and workloads, writing nothing.
func (r *Reconciler) Diff(ctx context.Context, decl Declaration) (*Diff, error) {
	if decl.Err != nil {
		return nil, decl.Err
	}
	name := decl.Object.Name
	rec, known, err := LoadRecord(r.Store, name)
	if err != nil {
		rec, known = &Record{Name: name}, false
	}
	d := &Diff{Name: name, New: !known}
	defer func() {
		for _, dir := range d.tmpDirs {
			_ = os.RemoveAll(dir)
		}
	}()
	s := &session{r: r, log: zap.NewNop(), rec: rec, name: name, decl: decl, obj: decl.Object, dry: d}
	d.SpecChanged = known && specHash(decl.Object) != rec.SpecHash
	s.observeGeneration()
	if _, err := s.reconcile(ctx); err != nil && !reconcilers.IsTerminal(err) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("the controller would stall: %w", err)
	}
	return d, nil
}

// Workload fates.
const (
	ActionCreate  = "create"
	ActionReplace = "replace"
	ActionRestart = "restart"
	ActionRemove  = "remove"
	ActionKeep    = "keep"
)

// fate decides what deploying w does, given what the runtime observes of
// the workload with its name (exists false: nothing).
func fate(w runtime.Workload, o runtime.Observed, exists bool) WorkloadChange {
	c := WorkloadChange{Name: w.Name}
	switch {
	case !exists:
		c.Action, c.Detail = ActionCreate, "on node "+w.Node
	case o.Hash != w.Hash():
		c.Action, c.Detail = ActionReplace, changedFields(o.Workload, w)
	case !o.Running:
		c.Action, c.Detail = ActionRestart, "not running: "+o.Message
	default:
		c.Action = ActionKeep
	}
	return c
}

// changedFields says how a workload's definition changes.
func changedFields(old, w runtime.Workload) string {
	var out []string
	if old.Node != w.Node {
		out = append(out, fmt.Sprintf("moves from node %s to %s", old.Node, w.Node))
	}
	if old.ArtifactSHA256 != w.ArtifactSHA256 {
		out = append(out, "new content")
	}
	if old.Next != w.Next {
		out = append(out, fmt.Sprintf("sends to %s instead of %s", w.Next, old.Next))
	}
	if old.Port != w.Port {
		out = append(out, fmt.Sprintf("port %d -> %d", old.Port, w.Port))
	}
	if old.MemoryReservation != w.MemoryReservation {
		out = append(out, "new memory reservation")
	}
	if len(out) == 0 {
		return "definition changed"
	}
	return strings.Join(out, ", ")
}
