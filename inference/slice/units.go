package slice

import (
	"context"
	"fmt"
	"strings"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// lightOps join the unit before them when they read only from it.
var lightOps = map[string]bool{
	"Relu": true, "LeakyRelu": true, "PRelu": true, "Clip": true, "Sigmoid": true,
	"HardSigmoid": true, "HardSwish": true, "Tanh": true, "Erf": true, "Elu": true,
	"Selu": true, "Softplus": true, "Exp": true, "Log": true, "Sqrt": true, "Neg": true,
	"Abs": true, "Reciprocal": true, "BatchNormalization": true, "Dropout": true,
	"Identity": true, "Flatten": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true,
	"Softmax": true, "LogSoftmax": true, "Cast": true, "Add": true, "Sub": true, "Mul": true,
	"Div": true, "Pow": true, "Max": true, "Min": true, "Sum": true, "LRN": true,
}

// Value is a tensor's name, element type and (concrete) shape.
type Value struct {
	Name  string       `json:"name"`
	DType tensor.DType `json:"-"`
	Type  string       `json:"dtype"`
	Shape []int        `json:"shape"`
	Bytes int64        `json:"bytes"`
}

func newValue(name string, dt tensor.DType, shape []int) Value {
	return Value{Name: name, DType: dt, Type: dt.String(), Shape: shape,
		Bytes: int64(tensor.NumElements(shape)) * int64(dt.Size())}
}

// Unit is one placeable layer: a run of nodes in topological order.
type Unit struct {
	Index int
	Name  string
	Nodes []*onnx.Node
	// WeightBytes counts the initializers the unit reads (an initializer read
	// by several units counts in each).
	WeightBytes int64
	// OutputBytes is the size of the tensors the unit produces for later
	// units or as model outputs (not those only its own nodes read).
	OutputBytes int64
}

// OpTypes lists the unit's op types in node order.
func (u Unit) OpTypes() []string {
	out := make([]string, len(u.Nodes))
	for i, n := range u.Nodes {
		out[i] = n.OpType
	}
	return out
}

// Analysis is a model split into units, with the concrete dtype and shape of
// every tensor for one input shape.
type Analysis struct {
	// Model is the constant-folded model the units refer to.
	Model   *onnx.Model
	Units   []Unit
	Values  map[string]Value
	Inputs  []Value
	Outputs []Value
	// unitOf maps a tensor to the unit producing it (-1: graph input).
	unitOf map[string]int
	// lastUse maps a tensor to the last unit reading it (len(Units) for
	// graph outputs).
	lastUse map[string]int
	consts  map[string]*tensor.Tensor
}

// Analyze folds constants, groups nodes into units and runs the model once
// on zero inputs of the given shapes to learn every tensor's shape (inputs
// with fixed declared shapes need no entry in inputShapes).
func Analyze(ctx context.Context, m *onnx.Model, inputShapes map[string][]int) (*Analysis, error) {
	prog, err := engine.Compile(m, engine.Options{})
	if err != nil {
		return nil, err
	}
	folded := prog.FoldedModel(m)
	a := &Analysis{Model: folded, Values: map[string]Value{}, unitOf: map[string]int{}, lastUse: map[string]int{},
		consts: map[string]*tensor.Tensor{}}
	for _, init := range folded.Graph.Initializers {
		a.consts[init.Name] = init.Tensor
	}

	feeds := map[string]*tensor.Tensor{}
	for _, vi := range prog.Inputs() {
		shape, ok := inputShapes[vi.Name]
		if !ok {
			shape, ok = vi.FixedShape()
		}
		if !ok {
			return nil, fmt.Errorf("input %q has shape %s with unknown dimensions: give its concrete shape",
				vi.Name, engine.DescribeValueInfo(vi))
		}
		if vi.ElemType == tensor.Undefined || vi.ElemType == tensor.String {
			return nil, fmt.Errorf("input %q has element type %s, which papdl cannot feed", vi.Name, vi.ElemType)
		}
		feeds[vi.Name] = tensor.New(vi.ElemType, shape...)
		v := newValue(vi.Name, vi.ElemType, shape)
		a.Values[vi.Name] = v
		a.Inputs = append(a.Inputs, v)
		a.unitOf[vi.Name] = -1
	}
	// Run the folded model so that the nodes match the units one to one.
	fprog, err := engine.Compile(folded, engine.Options{})
	if err != nil {
		return nil, fmt.Errorf("compile folded model: %w", err)
	}
	outs, err := fprog.RunObserved(ctx, feeds, func(o engine.Observation) {
		for i, name := range o.Node.Outputs {
			if name != "" && i < len(o.Outputs) && o.Outputs[i] != nil {
				a.Values[name] = newValue(name, o.Outputs[i].DType, append([]int(nil), o.Outputs[i].Shape...))
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("shape inference run: %w", err)
	}
	for _, vi := range folded.Graph.Outputs {
		t := outs[vi.Name]
		v := newValue(vi.Name, t.DType, t.Shape)
		a.Values[vi.Name] = v
		a.Outputs = append(a.Outputs, v)
	}
	a.groupUnits(folded.Graph.Nodes)
	return a, nil
}

func (a *Analysis) groupUnits(nodes []*onnx.Node) {
	for _, n := range nodes {
		cur := len(a.Units) - 1
		join := cur >= 0 && lightOps[n.OpType]
		if join {
			for _, in := range engine.NodeInputs(n) {
				if in == "" || a.consts[in] != nil {
					continue
				}
				if u, ok := a.unitOf[in]; !ok || u != cur {
					join = false
					break
				}
			}
		}
		if !join {
			a.Units = append(a.Units, Unit{Index: len(a.Units), Name: unitName(n)})
			cur = len(a.Units) - 1
		}
		u := &a.Units[cur]
		u.Nodes = append(u.Nodes, n)
		for _, out := range n.Outputs {
			if out != "" {
				a.unitOf[out] = cur
			}
		}
	}
	for i := range a.Units {
		seen := map[string]bool{}
		for _, n := range a.Units[i].Nodes {
			for _, in := range engine.NodeInputs(n) {
				if c := a.consts[in]; c != nil && !seen[in] {
					seen[in] = true
					a.Units[i].WeightBytes += c.ByteSize()
				}
				if _, isConst := a.consts[in]; in != "" && !isConst {
					a.lastUse[in] = max(a.lastUse[in], i)
				}
			}
		}
	}
	for _, o := range a.Outputs {
		a.lastUse[o.Name] = len(a.Units)
	}
	for i := range a.Units {
		for _, n := range a.Units[i].Nodes {
			for _, out := range n.Outputs {
				if out != "" && a.lastUse[out] > i {
					a.Units[i].OutputBytes += a.Values[out].Bytes
				}
			}
		}
	}
}

// unitName turns a torch-exported node name into the module path it came
// from ("/layer1/layer1.0/conv1/Conv" -> "layer1.0.conv1"); other names are
// kept, and unnamed nodes get their label.
func unitName(n *onnx.Node) string {
	if n.Name == "" {
		return n.Label()
	}
	if !strings.HasPrefix(n.Name, "/") {
		return n.Name
	}
	parts := strings.Split(strings.Trim(n.Name, "/"), "/")
	if len(parts) > 1 && strings.HasPrefix(parts[len(parts)-1], n.OpType) {
		parts = parts[:len(parts)-1]
	}
	// torch scopes a Sequential's child as "parent.index": that component
	// replaces its parent's.
	var comps []string
	for _, p := range parts {
		if k := len(comps) - 1; k >= 0 && strings.HasPrefix(p, comps[k]+".") {
			comps[k] = p
			continue
		}
		comps = append(comps, p)
	}
	return strings.Join(comps, ".")
}

// Cut is the boundary after unit After: the tensors produced at or before it
// (or model inputs) that are read after it or are model outputs.
type Cut struct {
	After   int     `json:"after"`
	Tensors []Value `json:"tensors"`
	Bytes   int64   `json:"bytes"`
}

// CutAfter returns the cut after unit i (i = -1 is the model's input side,
// i = len(Units)-1 its output side).
func (a *Analysis) CutAfter(i int) Cut {
	c := Cut{After: i}
	add := func(name string) {
		v := a.Values[name]
		c.Tensors = append(c.Tensors, v)
		c.Bytes += v.Bytes
	}
	if i == len(a.Units)-1 {
		for _, o := range a.Outputs {
			add(o.Name)
		}
		return c
	}
	seen := map[string]bool{}
	visit := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		if p, ok := a.unitOf[name]; ok && p <= i && a.lastUse[name] > i {
			add(name)
		}
	}
	for _, in := range a.Inputs {
		visit(in.Name)
	}
	for u := 0; u <= i; u++ {
		for _, n := range a.Units[u].Nodes {
			for _, out := range n.Outputs {
				if out != "" {
					visit(out)
				}
			}
		}
	}
	return c
}

// Cuts returns the cuts after every unit but the last.
func (a *Analysis) Cuts() []Cut {
	out := make([]Cut, 0, len(a.Units))
	for i := 0; i+1 < len(a.Units); i++ {
		out = append(out, a.CutAfter(i))
	}
	return out
}

// IsConstant reports whether name is an initializer of the folded model.
func (a *Analysis) IsConstant(name string) bool {
	_, ok := a.consts[name]
	return ok
}
