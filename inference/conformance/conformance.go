package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/tensor"
)

// DefaultDataDir is where Debian's libonnx-testdata installs the node tests.
const DefaultDataDir = "/usr/share/libonnx-testdata/data/node"

// Tolerances of the comparison, as in ONNX's backend test runner.
const (
	RTol = 1e-4
	ATol = 1e-6
)

// Status is the outcome of one case.
type Status string

// Outcomes: Pass and Fail for cases whose operators papdl implements,
// Unsupported for cases using an operator papdl lacks.
const (
	Pass        Status = "pass"
	Fail        Status = "fail"
	Unsupported Status = "unsupported"
)

// Result is the outcome of one test case.
type Result struct {
	Name   string
	Op     string // the case's op types, "+"-joined, sorted
	Status Status
	Err    string
}

// Case is one test directory.
type Case struct {
	Name string
	Dir  string
}

// ListCases returns the test cases under root, sorted by name.
func ListCases(root string) ([]Case, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list ONNX node tests: %w", err)
	}
	var cases []Case
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
			continue
		}
		cases = append(cases, Case{Name: e.Name(), Dir: dir})
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

// Run executes every data set of the case.
func (c Case) Run(ctx context.Context, reg *ops.Registry) Result {
	res := Result{Name: c.Name}
	m, err := onnx.Load(filepath.Join(c.Dir, "model.onnx"))
	if err != nil {
		res.Status, res.Err = Fail, err.Error()
		return res
	}
	res.Op = opTypes(m)
	for _, op := range strings.Split(res.Op, "+") {
		if !engine.Supports(reg, op) {
			res.Status, res.Err = Unsupported, "operator "+op+" is not implemented"
			return res
		}
	}
	if err := c.run(ctx, reg, m); err != nil {
		res.Status, res.Err = Fail, err.Error()
		return res
	}
	res.Status = Pass
	return res
}

func (c Case) run(ctx context.Context, reg *ops.Registry, m *onnx.Model) error {
	prog, err := engine.Compile(m, engine.Options{Registry: reg})
	if err != nil {
		return err
	}
	sets, _ := filepath.Glob(filepath.Join(c.Dir, "test_data_set_*"))
	if len(sets) == 0 {
		return errors.New("no test_data_set directories")
	}
	for _, set := range sets {
		inputs := map[string]*tensor.Tensor{}
		for i, vi := range m.Graph.Inputs {
			t, err := loadTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if errors.Is(err, os.ErrNotExist) {
				continue // an input with an initializer default
			}
			if err != nil {
				return err
			}
			if vi.ElemType == tensor.BFloat16 && t.DType == tensor.Uint16 {
				t.DType = tensor.BFloat16 // numpy has no bfloat16: the data files hold its bits as uint16
			}
			inputs[vi.Name] = t
		}
		got, err := prog.Run(ctx, inputs)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(set), err)
		}
		for i, vi := range m.Graph.Outputs {
			want, err := loadTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				return err
			}
			if g := got[vi.Name]; g != nil && g.DType == tensor.BFloat16 && want.DType == tensor.Uint16 {
				want.DType = tensor.BFloat16
			}
			if err := Compare(got[vi.Name], want); err != nil {
				return fmt.Errorf("%s: output %q: %w", filepath.Base(set), vi.Name, err)
			}
		}
	}
	return nil
}

func loadTensor(path string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, t, err := onnx.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// opTypes lists the op types of the model's nodes, those of subgraphs
// (If branches, Loop and Scan bodies) included.
func opTypes(m *onnx.Model) string {
	set := map[string]bool{}
	var walk func(g *onnx.Graph)
	walk = func(g *onnx.Graph) {
		for _, n := range g.Nodes {
			set[n.OpType] = true
			for _, a := range n.Attrs {
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(m.Graph)
	ops := make([]string, 0, len(set))
	for op := range set {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return strings.Join(ops, "+")
}

// Compare checks got against want: same dtype and shape, floats within
// RTol/ATol (NaN matches NaN), everything else exactly.
func Compare(got, want *tensor.Tensor) error {
	if got == nil {
		return errors.New("no value")
	}
	if got.DType != want.DType {
		return fmt.Errorf("dtype %s, want %s", got.DType, want.DType)
	}
	if !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, w := asFloat64(got), asFloat64(want)
	if g != nil {
		for i := range g {
			a, b := g[i], w[i]
			if math.IsNaN(a) && math.IsNaN(b) {
				continue
			}
			if math.IsInf(b, 0) && a == b {
				continue
			}
			if !(math.Abs(a-b) <= ATol+RTol*math.Abs(b)) {
				return fmt.Errorf("element %d is %g, want %g (and maybe more)", i, a, b)
			}
		}
		return nil
	}
	gb, err1 := got.RawBytes()
	wb, err2 := want.RawBytes()
	if err1 != nil || err2 != nil {
		gs, ok1 := got.Data.([]string)
		ws, ok2 := want.Data.([]string)
		if ok1 && ok2 {
			for i := range gs {
				if gs[i] != ws[i] {
					return fmt.Errorf("element %d is %q, want %q", i, gs[i], ws[i])
				}
			}
			return nil
		}
		return fmt.Errorf("cannot compare %s tensors", got.DType)
	}
	for i := range gb {
		if gb[i] != wb[i] {
			return fmt.Errorf("byte %d differs (element %d)", i, i/max(1, got.DType.Size()))
		}
	}
	return nil
}

func asFloat64(t *tensor.Tensor) []float64 {
	switch d := t.Data.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return d
	}
	if t.DType == tensor.Float16 || t.DType == tensor.BFloat16 {
		bits := t.Data.([]uint16)
		out := make([]float64, len(bits))
		for i, b := range bits {
			if t.DType == tensor.Float16 {
				out[i] = float64(tensor.HalfToFloat32(b))
			} else {
				out[i] = float64(tensor.BFloat16ToFloat32(b))
			}
		}
		return out
	}
	return nil
}
