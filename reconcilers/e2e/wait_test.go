package e2e

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// 9. `papdlctl wait` waits for the spec as it is now: right after a spec
// change it does not return on the previous generation's Ready; for a name
// nobody declares it fails at once.
func TestWaitHonoursTheCurrentGeneration(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	port := freePort(t)
	s := spec{name: "mnist", model: fixture.modelA, port: port}
	c.apply(s)
	c.MustCtl("wait", "--for", "condition=Ready", "mnist", "--timeout", "2m", "--specs-dir", c.Specs, "--state-dir", c.State)
	s.pins = []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}
	c.apply(s)
	c.MustCtl("wait", "--for", "condition=Ready", "mnist", "--timeout", "2m", "--specs-dir", c.Specs, "--state-dir", c.State)
	rec, _, err := distributedmodel.LoadRecord(c.Store, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	decls, err := distributedmodel.ScanSpecs(c.Specs)
	if err != nil {
		t.Fatal(err)
	}
	ready := condition(rec, "Ready")
	if rec.SpecHash != distributedmodel.SpecHash(decls["mnist"][0].Object) || ready == nil || ready.Status != "True" ||
		ready.ObservedGeneration != rec.Generation || rec.Generation != 2 {
		t.Fatalf("wait returned before the new generation was Ready: generation %d, Ready %+v", rec.Generation, ready)
	}
	if n := len(rec.Status.Placement.Partitions); n != 2 {
		t.Fatalf("wait returned with %d partitions placed, the new spec pins 2", n)
	}
	out, err := c.Ctl("wait", "--for", "condition=Ready", "nosuch", "--timeout", "10m", "--specs-dir", c.Specs, "--state-dir", c.State)
	if err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("wait for an unknown name: %v: %s", err, out)
	}
}
