package e2e

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/e2e/e2eutil"
)

// 10. No request is lost: a steady client sees only exact answers while a
// partition is SIGKILLed and restarted, while the model file is replaced
// (a new revision: blue/green behind the gateway, which stays), while a
// partition moves to another node, and while the controller crashes and
// starts again.
func TestNoRequestLostOnLocal(t *testing.T) {
	t.Parallel()
	c := newCluster(t, edges...)
	c.startController()
	port := freePort(t)
	model := filepath.Join(t.TempDir(), "mnist.onnx")
	e2eutil.ReplaceFile(t, fixture.modelA, model)
	s := spec{name: "mnist", model: model, port: port, pins: []pin{{0, 2, "edge1"}, {2, mnistUnits, "edge2"}}}
	c.apply(s)
	rec := c.waitReady("mnist", "")
	load := e2eutil.StartLoad(func(ctx context.Context) ([]byte, error) { return postInput(ctx, port) }, fixture.monoA, 1, 20*time.Millisecond)
	defer load.Stop()
	check := func(event string, since int) {
		t.Helper()
		r := load.Report(since)
		t.Logf("%s: %s", event, r.Summary)
		if r.N == 0 {
			t.Errorf("%s: the client sent nothing during the event", event)
		}
		if r.Failed > 0 {
			t.Errorf("%s: %d of %d requests failed (first: %v)", event, r.Failed, r.N, r.FirstErr)
		}
	}
	eventually(t, shortTimeout, "the client's first answers", func() (bool, string) { return load.Mark() > 5, "" })

	// A partition is SIGKILLed: the runtime restarts it, the gateway holds
	// and replays what was in flight.
	m := load.Mark()
	p1 := partitionName(c.workloads("mnist"), "mnist", 1)
	victim := c.workloads("mnist")[p1]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, readyTimeout, p1+" to run again", func() (bool, string) {
		w := c.workloads("mnist")[p1]
		return w.PID != victim.PID && nodeProcessAlive(w.PID), ""
	})
	c.waitReady("mnist", "")
	time.Sleep(500 * time.Millisecond) // answers after the restart, too
	t.Logf("partition SIGKILL -> Ready again: %s", time.Since(start).Round(time.Millisecond))
	check("partition SIGKILL", m)

	// The model file is replaced: the new revision's partitions start next
	// to the old ones and the gateway switches; answers are the old or the
	// new model's, and only the new one's once Ready.
	m = load.Mark()
	gwPID := c.workloads("mnist")["papdl-mnist-gateway"].PID
	load.Expect(fixture.monoA, fixture.monoB)
	start = time.Now()
	e2eutil.ReplaceFile(t, fixture.modelB, model)
	rec = c.waitReady("mnist", rec.Status.LastAppliedRevision)
	load.Expect(fixture.monoB)
	time.Sleep(500 * time.Millisecond)
	t.Logf("model update -> Ready with the new model: %s", time.Since(start).Round(time.Millisecond))
	check("model update", m)
	gatewayKept := func(event string) {
		t.Helper()
		if pid := c.workloads("mnist")["papdl-mnist-gateway"].PID; pid != gwPID {
			t.Errorf("the gateway was restarted by the %s (pid %d -> %d)", event, gwPID, pid)
		}
	}
	gatewayKept("model update")

	// A partition moves to another node (a new placement): the same.
	m = load.Mark()
	s.pins[1].host = "local"
	start = time.Now()
	c.apply(s)
	c.waitReady("mnist", rec.Status.LastAppliedRevision)
	time.Sleep(500 * time.Millisecond)
	t.Logf("placement change -> Ready: %s", time.Since(start).Round(time.Millisecond))
	check("placement change", m)
	gatewayKept("placement change")

	// The controller crashes and starts again: the workloads never stop.
	m = load.Mark()
	c.KillController()
	time.Sleep(500 * time.Millisecond)
	start = time.Now()
	c.startController()
	eventually(t, readyTimeout, "the new controller to reconcile mnist", func() (bool, string) {
		return c.ReconcilesFinished("mnist") > 0, ""
	})
	t.Logf("controller SIGKILL + restart -> reconciled: %s", time.Since(start).Round(time.Millisecond))
	check("controller SIGKILL and restart", m)
}
