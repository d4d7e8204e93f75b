package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	onnxgo "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	gtensor "gorgonia.org/tensor"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/tensor"
	"github.com/papdl/papdl/inference/zoo"
)

// runner is one engine loaded with one model and one input. run executes
// the model once; first is a copy of the output of the first run, made
// while loading.
type runner interface {
	run() error
	first() []float32
}

// papdlRunner runs a compiled papdl Program.
type papdlRunner struct {
	prog   *engine.Program
	inputs map[string]*tensor.Tensor
	output string
	out    []float32
}

func newPapdl(m *onnx.Model, in *tensor.Tensor) (*papdlRunner, error) {
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		return nil, fmt.Errorf("papdl: compile: %w", err)
	}
	r := &papdlRunner{
		prog:   prog,
		inputs: map[string]*tensor.Tensor{m.Graph.Inputs[0].Name: in},
		output: m.Graph.Outputs[0].Name,
	}
	res, err := prog.Run(context.Background(), r.inputs)
	if err != nil {
		return nil, fmt.Errorf("papdl: run: %w", err)
	}
	r.out = slices.Clone(res[r.output].Float32s())
	return r, nil
}

func (r *papdlRunner) run() error {
	_, err := r.prog.Run(context.Background(), r.inputs)
	return err
}

func (r *papdlRunner) first() []float32 { return r.out }

// onnxgoRunner runs onnx-go's gorgonia backend. The input is set once: the
// expression graph keeps it between runs.
type onnxgoRunner struct {
	backend *gorgonnx.Graph
	model   *onnxgo.Model
	out     []float32
}

func newOnnxgo(m *onnx.Model, in *tensor.Tensor) (r *onnxgoRunner, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("onnx-go: panic: %v", p)
		}
	}()
	data, err := onnx.Encode(m)
	if err != nil {
		return nil, err
	}
	r = &onnxgoRunner{backend: gorgonnx.NewGraph()}
	r.model = onnxgo.NewModel(r.backend)
	if err := r.model.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("onnx-go: decode: %w", err)
	}
	t := gtensor.New(gtensor.WithShape(in.Shape...), gtensor.WithBacking(slices.Clone(in.Float32s())))
	if err := r.model.SetInput(0, t); err != nil {
		return nil, fmt.Errorf("onnx-go: set input: %w", err)
	}
	if err := r.run(); err != nil {
		return nil, err
	}
	outs, err := r.model.GetOutputTensors()
	if err != nil {
		return nil, fmt.Errorf("onnx-go: outputs: %w", err)
	}
	if len(outs) != 1 || outs[0] == nil {
		return nil, errors.New("onnx-go: no output tensor")
	}
	d, ok := outs[0].Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("onnx-go: output holds %T, not []float32", outs[0].Data())
	}
	r.out = slices.Clone(d)
	return r, nil
}

func (r *onnxgoRunner) run() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("onnx-go: panic: %v", p)
		}
	}()
	if err := r.backend.Run(); err != nil {
		return fmt.Errorf("onnx-go: run: %w", err)
	}
	return nil
}

func (r *onnxgoRunner) first() []float32 { return r.out }

// withoutAveragePool returns a copy of m whose AveragePool nodes with
// kernel 1, stride 1 and no padding (identities) are removed, their
// consumers reading the pool's input instead. Initializers are shared.
func withoutAveragePool(m *onnx.Model) (*onnx.Model, int, error) {
	g := *m.Graph
	rename := map[string]string{}
	g.Nodes = nil
	removed := 0
	for _, n := range m.Graph.Nodes {
		if n.OpType == "AveragePool" {
			k, err := n.AttrInts("kernel_shape", nil)
			if err != nil {
				return nil, 0, err
			}
			s, _ := n.AttrInts("strides", nil)
			p, _ := n.AttrInts("pads", nil)
			if allEqual(k, 1) && allEqual(s, 1) && allEqual(p, 0) && len(n.Inputs) == 1 && len(n.Outputs) == 1 {
				rename[n.Outputs[0]] = resolve(rename, n.Inputs[0])
				removed++
				continue
			}
		}
		c := *n
		c.Inputs = make([]string, len(n.Inputs))
		for i, name := range n.Inputs {
			c.Inputs[i] = resolve(rename, name)
		}
		g.Nodes = append(g.Nodes, &c)
	}
	for _, out := range g.Outputs {
		if _, ok := rename[out.Name]; ok {
			return nil, 0, fmt.Errorf("graph output %q comes from a removed AveragePool", out.Name)
		}
	}
	c := *m
	c.Graph = &g
	return &c, removed, nil
}

func resolve(rename map[string]string, name string) string {
	if to, ok := rename[name]; ok {
		return to
	}
	return name
}

func allEqual(v []int64, x int64) bool {
	for _, e := range v {
		if e != x {
			return false
		}
	}
	return true
}

// Convolution benchmark shape: 3x3, 64 -> 64 channels on 56x56, pad 1.
const (
	convC, convHW, convK = 64, 56, 3
	// convFLOP counts a multiply-add as two operations (bias excluded).
	convFLOP = 2 * convC * convC * convK * convK * convHW * convHW
)

// convModel is a one-node model: y = Conv(x, W, B), pads 1, strides 1.
func convModel() *onnx.Model {
	w := profile.SampleInput(tensor.Float32, []int{convC, convC, convK, convK}, 2)
	scale := float32(1 / math.Sqrt(convC*convK*convK))
	for i, v := range w.Float32s() {
		w.Float32s()[i] = v * scale
	}
	b := profile.SampleInput(tensor.Float32, []int{convC}, 3)
	shape := []int{1, convC, convHW, convHW}
	return &onnx.Model{
		IRVersion:    7,
		OpsetImports: []onnx.OpsetID{{Version: 13}},
		ProducerName: "papdl-bench",
		Graph: &onnx.Graph{
			Name: "conv3x3",
			Nodes: []*onnx.Node{{
				Name:    "conv",
				OpType:  "Conv",
				Inputs:  []string{"x", "W", "B"},
				Outputs: []string{"y"},
				Attrs: []onnx.Attribute{
					{Name: "kernel_shape", Type: onnx.AttrInts, Ints: []int64{convK, convK}},
					{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1, 1, 1, 1}},
					{Name: "strides", Type: onnx.AttrInts, Ints: []int64{1, 1}},
					{Name: "dilations", Type: onnx.AttrInts, Ints: []int64{1, 1}},
					{Name: "group", Type: onnx.AttrInt, I: 1},
				},
			}},
			Initializers: []*onnx.Initializer{{Name: "W", Tensor: w}, {Name: "B", Tensor: b}},
			Inputs:       []onnx.ValueInfo{onnx.TensorValueInfo("x", tensor.Float32, shape)},
			Outputs:      []onnx.ValueInfo{onnx.TensorValueInfo("y", tensor.Float32, shape)},
		},
	}
}

// pair is a model loaded into both engines (and, for VGG16, papdl on the
// unmodified graph as well).
type pair struct {
	papdl, onnxgo runner
	// papdlFull is papdl on the original graph when the onnx-go side
	// needed a rewritten one; nil otherwise.
	papdlFull runner
	// onnxgoErr says why onnx-go is missing, if it is.
	onnxgoErr error
}

var (
	pairsMu sync.Mutex
	pairs   = map[string]*pairResult{}
)

type pairResult struct {
	p   *pair
	err error
}

// loadPair builds (once per process) the named model, "conv3x3" or a zoo
// architecture, in both engines.
func loadPair(name string) (*pair, error) {
	pairsMu.Lock()
	defer pairsMu.Unlock()
	if r, ok := pairs[name]; ok {
		return r.p, r.err
	}
	p, err := buildPair(name)
	pairs[name] = &pairResult{p, err}
	return p, err
}

func buildPair(name string) (*pair, error) {
	var m *onnx.Model
	if name == "conv3x3" {
		m = convModel()
	} else {
		var err error
		m, err = zoo.Generate(name, zoo.Options{Seed: 1})
		if err != nil {
			return nil, err
		}
	}
	shape, ok := m.Graph.Inputs[0].FixedShape()
	if !ok {
		return nil, fmt.Errorf("%s: input has no fixed shape", name)
	}
	in := profile.SampleInput(tensor.Float32, shape, 1)

	// onnx-go lacks AveragePool: give both engines the graph without the
	// identity pools, and keep papdl on the original too.
	shared, removed, err := withoutAveragePool(m)
	if err != nil {
		return nil, err
	}
	p := &pair{}
	if p.papdl, err = newPapdl(shared, in); err != nil {
		return nil, err
	}
	if removed > 0 {
		if p.papdlFull, err = newPapdl(m, in); err != nil {
			return nil, err
		}
	}
	p.onnxgo, p.onnxgoErr = newOnnxgo(shared, in)
	if p.onnxgoErr != nil {
		p.onnxgo = nil
	}
	return p, nil
}

// maxAbsDiff returns max |a-b| and max |a|.
func maxAbsDiff(a, b []float32) (diff, scale float64) {
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(a[i])))
	}
	return diff, scale
}
