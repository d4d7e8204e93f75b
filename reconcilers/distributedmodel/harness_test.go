package distributedmodel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/runtime/memory"
	"github.com/papdl/papdl/reconcilers/store"
)

// The simulated cluster of the decision tests.
var testNodes = []runtime.Node{
	{ID: "local", Hostname: "local", CPUs: 4, MemoryBytes: 8 << 30, Ready: true},
	{ID: "edge1", Hostname: "edge1", CPUs: 1, MemoryBytes: 2 << 30, Ready: true},
	{ID: "edge2", Hostname: "edge2", CPUs: 2, MemoryBytes: 4 << 30, Ready: true},
}

// models are the test's model files: two MNIST nets with the same graph and
// different weights, and a file that is no ONNX model; with each one's
// monolithic output for the test input.
type models struct {
	dir          string
	a, b, broken string
	input        *tensor.Tensor
	outA, outB   []byte // .npy bytes
	units        int
}

func newModels(t testing.TB) *models {
	t.Helper()
	dir := t.TempDir()
	m := &models{dir: dir, a: filepath.Join(dir, "a.onnx"), b: filepath.Join(dir, "b.onnx"), broken: filepath.Join(dir, "broken.onnx")}
	if err := zoo.WriteFile(m.a, "mnist", zoo.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := zoo.WriteFile(m.b, "mnist", zoo.Options{Seed: 2}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.broken, []byte("\x08\x07garbage, not a protobuf model \xff\xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 28*28)
	for i := range data {
		data[i] = float32(math.Sin(float64(i) * 0.37))
	}
	var err error
	if m.input, err = tensor.FromSlice(data, 1, 1, 28, 28); err != nil {
		t.Fatal(err)
	}
	m.outA, m.units = monolithic(t, m.a, m.input)
	m.outB, _ = monolithic(t, m.b, m.input)
	if bytes.Equal(m.outA, m.outB) {
		t.Fatal("the two weight sets give the same output: the test could not tell them apart")
	}
	return m
}

// monolithic runs the whole model once and returns its output as .npy and
// the model's number of units.
func monolithic(t testing.TB, path string, in *tensor.Tensor) ([]byte, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := p.Run(context.Background(), map[string]*tensor.Tensor{p.Inputs()[0].Name: in})
	if err != nil {
		t.Fatal(err)
	}
	b, err := npy.EncodeBytes(outs[p.Outputs()[0].Name])
	if err != nil {
		t.Fatal(err)
	}
	a, err := slice.Analyze(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, len(a.Units)
}

// cluster is one controller's worth of directories over a memory runtime.
type cluster struct {
	t        testing.TB
	specsDir string
	st       *store.Store
	rt       *memory.Runtime
	r        *distributedmodel.Reconciler
	// input is the test input predictions are checked with.
	input *tensor.Tensor
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "state"))
	if err != nil {
		t.Fatal(err)
	}
	specs := filepath.Join(root, "specs")
	if err := os.MkdirAll(specs, 0o755); err != nil {
		t.Fatal(err)
	}
	rt := memory.New(testNodes...)
	t.Cleanup(rt.Close)
	r := distributedmodel.NewReconciler(specs, st, rt, zap.NewNop())
	return &cluster{t: t, specsDir: specs, st: st, rt: rt, r: r}
}

// write puts a spec file into the specs directory (atomically, as apply
// and git do).
func (c *cluster) write(file, yaml string) {
	c.t.Helper()
	if err := store.WriteFileAtomic(filepath.Join(c.specsDir, file), []byte(yaml)); err != nil {
		c.t.Fatal(err)
	}
}

// converge reconciles name until it is Ready, stalls, fails terminally,
// is suspended or deleted; it returns the last error.
func (c *cluster) converge(name string) error {
	c.t.Helper()
	for i := 0; i < 12; i++ {
		res, err := c.r.Reconcile(context.Background(), reconcilers.Request{Name: name})
		if err != nil {
			return err
		}
		rec, found, lerr := distributedmodel.LoadRecord(c.st, name)
		if lerr != nil {
			c.t.Fatal(lerr)
		}
		if !found || res.RequeueAfter == 0 {
			return nil
		}
		if cond := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionReady); cond != nil && cond.Status == v1alpha1.ConditionTrue {
			return nil
		}
	}
	rec, _, _ := distributedmodel.LoadRecord(c.st, name)
	return errors.New("did not converge in 12 reconciles: " + conditionsOf(rec))
}

func conditionsOf(rec *distributedmodel.Record) string {
	var b bytes.Buffer
	for _, c := range rec.Status.Conditions {
		b.WriteString(string(c.Type) + "=" + string(c.Status) + " " + c.Reason + ": " + c.Message + "; ")
	}
	return b.String()
}

func (c *cluster) record(name string) *distributedmodel.Record {
	c.t.Helper()
	rec, _, err := distributedmodel.LoadRecord(c.st, name)
	if err != nil {
		c.t.Fatal(err)
	}
	return rec
}

// predict posts the input to the model's endpoint and returns the answer's
// bytes and status.
func predict(t testing.TB, endpoint string, in *tensor.Tensor) ([]byte, int) {
	t.Helper()
	body, err := npy.EncodeBytes(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/input", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out, resp.StatusCode
}

func ready(rec *distributedmodel.Record) *v1alpha1.Condition {
	c := v1alpha1.FindCondition(rec.Status.Conditions, v1alpha1.ConditionReady)
	if c == nil || c.Status != v1alpha1.ConditionTrue {
		return nil
	}
	return c
}
