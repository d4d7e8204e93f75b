package reconcilers

import (
	"context"
	"errors"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
)

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  Result
		err  error
		want string
	}{
		{"done", Result{}, nil, OutcomeSuccess},
		{"requeue", Result{RequeueAfter: time.Second}, nil, OutcomeRequeueAfter},
		{"error", Result{}, errors.New("x"), OutcomeError},
		{"terminal", Result{}, Terminal(errors.New("x")), OutcomeTerminal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := outcome(tc.res, tc.err); got != tc.want {
				t.Fatalf("outcome = %s, want %s", got, tc.want)
			}
		})
	}
}

// gathered returns the value of every sample of the metric family name, by
// its labels rendered "k=v,k=v".
func gathered(t *testing.T, m *Metrics, name string) map[string]*dto.Metric {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			key := ""
			for _, l := range s.GetLabel() {
				key += l.GetName() + "=" + l.GetValue() + ","
			}
			out[key] = s
		}
	}
	return out
}

func TestControllerMetrics(t *testing.T) {
	q := NewQueue()
	m := NewMetrics("test", q)
	q.Add("waiting-1")
	q.Add("waiting-2")
	if d := gathered(t, m, "papdl_controller_queue_depth")["controller=test,"]; d.GetGauge().GetValue() != 2 {
		t.Fatalf("queue depth %v, want 2", d.GetGauge().GetValue())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 4)
	c := &Controller{Name: "test", Queue: q, Log: zap.NewNop(), Metrics: m, Workers: 1,
		Reconciler: Func(func(_ context.Context, req Request) (Result, error) {
			defer func() { seen <- req.Name }()
			if req.Name == "waiting-2" {
				return Result{}, Terminal(errors.New("bad spec"))
			}
			return Result{}, nil
		})}
	go c.Run(ctx)
	for range 2 {
		select {
		case <-seen:
		case <-time.After(5 * time.Second):
			t.Fatal("the controller did not reconcile")
		}
	}
	// The count follows the reconcile's return: wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		counts := gathered(t, m, "papdl_controller_reconciles_total")
		ok := counts["controller=test,result=success,"].GetCounter().GetValue() == 1 &&
			counts["controller=test,result=terminal,"].GetCounter().GetValue() == 1 &&
			counts["controller=test,result=error,"] != nil
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reconcile counts: %v", counts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	h := gathered(t, m, "papdl_controller_reconcile_duration_seconds")["controller=test,"]
	if h.GetHistogram().GetSampleCount() != 2 {
		t.Fatalf("durations observed: %d, want 2", h.GetHistogram().GetSampleCount())
	}
	if d := gathered(t, m, "papdl_controller_queue_depth")["controller=test,"]; d.GetGauge().GetValue() != 0 {
		t.Fatalf("queue depth %v after the reconciles, want 0", d.GetGauge().GetValue())
	}
}
