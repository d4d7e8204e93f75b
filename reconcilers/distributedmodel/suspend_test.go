package distributedmodel_test

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/objects"
)

// withMetadata adds labels and annotations to a spec's metadata.
func withMetadata(spec, labels, annotations string) string {
	return strings.Replace(spec, "metadata: {name: m}",
		"metadata: {name: m, labels: {"+labels+"}, annotations: {"+annotations+"}}", 1)
}

// TestRecordKeepsMetadata: the labels and annotations of the spec reach
// the record, so `get -o yaml` and label selectors see them (issue 15).
func TestRecordKeepsMetadata(t *testing.T) {
	m := newModels(t)
	c := newCluster(t)
	c.write("m.yaml", withMetadata(baseSpec(m).YAML(), "team: vision, tier: edge", "note: hello"))
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	obj := objects.AsObject(c.record("m"))
	if obj.Labels["team"] != "vision" || obj.Labels["tier"] != "edge" || obj.Annotations["note"] != "hello" {
		t.Fatalf("metadata lost: labels %v, annotations %v", obj.Labels, obj.Annotations)
	}
	// Relabelling is not a spec change: no new generation.
	gen := c.record("m").Generation
	c.write("m.yaml", withMetadata(baseSpec(m).YAML(), "team: audio", ""))
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	rec := c.record("m")
	if obj := objects.AsObject(rec); obj.Labels["team"] != "audio" || len(obj.Annotations) != 0 {
		t.Fatalf("relabelled: labels %v, annotations %v", obj.Labels, obj.Annotations)
	}
	if rec.Generation != gen {
		t.Fatalf("relabelling made generation %d from %d", rec.Generation, gen)
	}
}

// TestSuspendKeepsWorkloads: a suspended model keeps its workloads as they
// are while its spec changes, says Suspended, and converges on resume.
func TestSuspendKeepsWorkloads(t *testing.T) {
	m := newModels(t)
	c := serving(t, m)
	before := c.snapshot("m")
	changed := baseSpec(m)
	changed.ModelPath = m.b
	c.write("m.yaml", changed.YAML()+"  suspend: true\n")
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	stillServes(t, c, before, m.outA)
	rec := c.record("m")
	cond := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionReconciling)
	if cond == nil || cond.Reason != v1alpha1.ReasonSuspended {
		t.Fatalf("suspended model's conditions: %s", conditionsOf(rec))
	}
	if ready(rec) == nil {
		t.Fatalf("a suspended model that serves is still Ready: %s", conditionsOf(rec))
	}
	c.write("m.yaml", changed.YAML())
	if err := c.converge("m"); err != nil {
		t.Fatal(err)
	}
	if ready(c.record("m")) == nil {
		t.Fatalf("resumed model not Ready: %s", conditionsOf(c.record("m")))
	}
	got, code := predict(t, c.record("m").Status.Endpoint, c.input)
	if code != 200 || string(got) != string(m.outB) {
		t.Fatalf("resumed model does not serve the new weights: HTTP %d", code)
	}
}
