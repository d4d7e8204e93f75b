package distributedmodel_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// variant is one spec the transition matrix moves between.
type variant struct {
	name string
	yaml string
	// out is the monolithic output the model must answer with once Ready
	// (nil: the variant never becomes Ready).
	out []byte
	// partitions is the number of partitions the spec forces (0: the
	// planner's choice).
	partitions int
	broken     bool
	suspended  bool
}

func variants(m *models) []variant {
	n := m.units
	base := e2eutil.Spec{Name: "m", ModelPath: m.a, SourceHost: "edge1", InputShape: []int64{1, 1, 28, 28}, GatewayPort: 18001}
	with := func(f func(s *e2eutil.Spec)) string {
		s := base
		f(&s)
		return s.YAML()
	}
	return []variant{
		{name: "base", yaml: base.YAML(), out: m.outA},
		{name: "pins-1", out: m.outA, partitions: 1, yaml: with(func(s *e2eutil.Spec) {
			s.Pins = []e2eutil.Pin{{Start: 0, End: n, Host: "edge2"}}
		})},
		{name: "pins-2", out: m.outA, partitions: 2, yaml: with(func(s *e2eutil.Spec) {
			s.Pins = []e2eutil.Pin{{Start: 0, End: 2, Host: "edge1"}, {Start: 2, End: n, Host: "edge2"}}
		})},
		{name: "pins-3", out: m.outA, partitions: 3, yaml: with(func(s *e2eutil.Spec) {
			s.Pins = []e2eutil.Pin{{Start: 0, End: 1, Host: "edge1"}, {Start: 1, End: 2, Host: "edge2"}, {Start: 2, End: n, Host: "local"}}
		})},
		{name: "throughput", out: m.outA, yaml: with(func(s *e2eutil.Spec) { s.Objective = "throughput" })},
		{name: "port", out: m.outA, yaml: with(func(s *e2eutil.Spec) { s.GatewayPort = 18002 })},
		{name: "source", out: m.outA, yaml: with(func(s *e2eutil.Spec) { s.SourceHost = "edge2" })},
		{name: "suspend", suspended: true, yaml: base.YAML() + "  suspend: true\n"},
		{name: "weights", out: m.outB, yaml: with(func(s *e2eutil.Spec) { s.ModelPath = m.b })},
		{name: "broken-model", broken: true, yaml: with(func(s *e2eutil.Spec) { s.ModelPath = m.broken })},
	}
}

// snapshot is what the runtime runs for the model, by workload name.
type snapshot struct {
	hash    map[string]string
	running map[string]bool
	starts  map[string]int
}

func (c *cluster) snapshot(model string) snapshot {
	c.t.Helper()
	obs, err := c.rt.List(c.t.Context(), model)
	if err != nil {
		c.t.Fatal(err)
	}
	s := snapshot{hash: map[string]string{}, running: map[string]bool{}, starts: map[string]int{}}
	for name, n := range c.rt.Starts() {
		if strings.HasPrefix(name, "papdl-"+model+"-") {
			s.starts[name] = n
		}
	}
	for _, o := range obs {
		s.hash[o.Name], s.running[o.Name] = o.Hash, o.Running
	}
	return s
}

// TestTransitionMatrix moves one model from every spec variant to every
// other (and to itself) and checks, after each move: Ready implies the
// current generation's gateway serves the current model file's exact
// output; no workload is left over; only workloads whose definition changed
// were started again; a broken or suspended spec leaves everything running
// as it was; a spec change that keeps the graph never benchmarks again.
func TestTransitionMatrix(t *testing.T) {
	m := newModels(t)
	vs := variants(m)
	pairs := 0
	for _, from := range vs {
		for _, to := range vs {
			pairs++
			t.Run(from.name+"->"+to.name, func(t *testing.T) {
				c := newCluster(t)
				c.input = m.input
				c.write("m.yaml", from.yaml)
				errFrom := c.converge("m")
				checkVariant(t, c, from, errFrom, nil)
				before := c.snapshot("m")
				benchBefore := c.rt.Benchmarks()
				c.write("m.yaml", to.yaml)
				errTo := c.converge("m")
				checkVariant(t, c, to, errTo, &before)
				after := c.snapshot("m")
				for name, h := range before.hash {
					if after.hash[name] == h && before.running[name] && after.starts[name] != before.starts[name] {
						t.Errorf("%s kept its definition but was started again (%d -> %d starts)", name, before.starts[name], after.starts[name])
					}
				}
				if from.out != nil && (to.out != nil || to.broken || to.suspended) && c.rt.Benchmarks() != benchBefore {
					t.Errorf("the graph and the nodes did not change, yet the cluster was benchmarked again")
				}
				// Back to where it started: converges again.
				c.write("m.yaml", from.yaml)
				checkVariant(t, c, from, c.converge("m"), nil)
			})
		}
	}
	t.Logf("transition matrix: %d variants, %d ordered pairs (each there and back)", len(vs), pairs)
}

// checkVariant asserts the model's state after converging to v. prev, when
// set, is what ran before the move (a broken or suspended spec must leave
// it untouched).
func checkVariant(t *testing.T, c *cluster, v variant, err error, prev *snapshot) {
	t.Helper()
	rec := c.record("m")
	switch {
	case v.broken:
		if err == nil || !reconcilers.IsTerminal(err) {
			t.Fatalf("%s: a broken model file must stall the model, got err = %v", v.name, err)
		}
		if s := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionStalled); s == nil || s.Status != v1alpha1.ConditionTrue {
			t.Fatalf("%s: Stalled is not True: %s", v.name, conditionsOf(rec))
		}
		if prev != nil {
			assertUnchanged(t, c, *prev)
		}
		return
	case v.suspended:
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if prev != nil {
			assertUnchanged(t, c, *prev)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", v.name, err)
	}
	cond := ready(rec)
	if cond == nil {
		t.Fatalf("%s: not Ready: %s", v.name, conditionsOf(rec))
	}
	if cond.ObservedGeneration != rec.Generation {
		t.Fatalf("%s: Ready for generation %d, the spec is generation %d", v.name, cond.ObservedGeneration, rec.Generation)
	}
	out, code := predict(t, rec.Status.Endpoint, c.input)
	if code != 200 || !bytes.Equal(out, v.out) {
		t.Fatalf("%s: Ready, but %s answers %d with %d bytes that are not the current model's output", v.name, rec.Status.Endpoint, code, len(out))
	}
	// Exactly the partitions of the placement and one gateway, all running.
	plan := rec.Status.Placement
	if v.partitions > 0 && len(plan.Partitions) != v.partitions {
		t.Fatalf("%s: %d partitions, the pins ask for %d", v.name, len(plan.Partitions), v.partitions)
	}
	want := map[string]bool{runtime.WorkloadName("m", -1): true}
	for _, p := range plan.Partitions {
		want[p.Service] = true
	}
	obs, _ := c.rt.List(t.Context(), "m")
	if len(obs) != len(want) {
		t.Fatalf("%s: runtime has %d workloads, want %d (%v)", v.name, len(obs), len(want), want)
	}
	for _, o := range obs {
		if !want[o.Name] || !o.Running {
			t.Fatalf("%s: workload %s wanted=%v running=%v", v.name, o.Name, want[o.Name], o.Running)
		}
	}
}

func assertUnchanged(t *testing.T, c *cluster, prev snapshot) {
	t.Helper()
	now := c.snapshot("m")
	if fmt.Sprint(now.hash) != fmt.Sprint(prev.hash) || fmt.Sprint(now.starts) != fmt.Sprint(prev.starts) {
		t.Fatalf("workloads changed under a spec that must not act:\n before %v %v\n after  %v %v", prev.hash, prev.starts, now.hash, now.starts)
	}
}
