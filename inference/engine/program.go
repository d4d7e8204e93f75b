package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Program is a compiled model, safe for concurrent use.
type Program struct {
	inputs  []onnx.ValueInfo
	outputs []onnx.ValueInfo
	// slots: every tensor name gets an index; constants are pre-filled.
	slotOf    map[string]int
	constants []*tensor.Tensor // by slot; nil for runtime values
	inSlots   []int
	outSlots  []int
	steps     []step
	opset     int64
	// packedOnly: constants that kernels hold packed have no data here
	// (Options.PackedOnly).
	packedOnly bool
	// scratch lends the kernels their temporary buffers (shareScratch).
	scratch *kernel.Scratch
}

type step struct {
	node    *onnx.Node
	kernel  kernel.Kernel
	in      []int // -1 for an omitted optional input
	out     []int // -1 for an omitted optional output
	release []int // slots whose last reader is this step
	// unfused holds the original steps of a fused step (see fuseEpilogues),
	// in order; nil for a plain step.
	unfused []step
	// fresh: the step's outputs never share an input's memory (markFresh).
	fresh bool
	// reusable: the indices j of in whose slot this step reads last, when
	// its kernel is a kernel.Reuser (markFresh): the inputs whose memory
	// it may write its output into, if they own it at run time.
	reusable []int
}

// parts returns the original steps st stands for.
func (st *step) parts() []step {
	if st.unfused != nil {
		return st.unfused
	}
	return []step{*st}
}

// Options tune Compile.
type Options struct {
	// Registry compiles nodes; nil means ops.NewRegistry().
	Registry *ops.Registry
	// Unfused runs every node on its own: no epilogue or LayerNorm fusion
	// (which give the same bits; for tests and comparisons).
	Unfused bool
	// PackedOnly drops the data of constant float32 inputs that every
	// reader keeps in its own packed form (kernel.Packer: Conv, Gemm and
	// MatMul weights), so that a serving process holds its weights once.
	// The results are the same bits; FoldedModel is not available.
	PackedOnly bool
}

// Compile checks and compiles m. Errors name the node, operator, opset or
// tensor at fault.
func Compile(m *onnx.Model, opts Options) (*Program, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	reg := opts.Registry
	if reg == nil {
		reg = ops.NewRegistry()
	}
	opset := m.Opset("")
	if opset == 0 {
		return nil, errors.New("model imports no opset of the default ONNX domain")
	}
	p, err := compileGraph(m.Graph, opset, reg, nil, !opts.Unfused)
	if err != nil {
		return nil, err
	}
	if opts.PackedOnly {
		p.dropPackedConstants()
	}
	return p, nil
}

// compileGraph compiles g. outer lists the outer-scope names a subgraph
// reads (nil for a model's main graph): they become runtime inputs of any
// type and shape. fuse turns on epilogue and LayerNorm fusion.
func compileGraph(g *onnx.Graph, opset int64, reg *ops.Registry, outer []string, fuse bool) (*Program, error) {
	p := &Program{slotOf: map[string]int{}, opset: opset}
	slot := func(name string) int {
		if s, ok := p.slotOf[name]; ok {
			return s
		}
		s := len(p.constants)
		p.slotOf[name] = s
		p.constants = append(p.constants, nil)
		return s
	}

	// Initializers are constants; a graph input with an initializer of the
	// same name is an overridable default in ONNX, treated here as constant.
	for _, init := range g.Initializers {
		if init.Name == "" {
			return nil, errors.New("initializer with an empty name")
		}
		if err := init.Tensor.Check(); err != nil {
			return nil, fmt.Errorf("initializer %q: %w", init.Name, err)
		}
		p.constants[slot(init.Name)] = init.Tensor
	}
	for _, in := range g.Inputs {
		if s, ok := p.slotOf[in.Name]; ok && p.constants[s] != nil {
			continue
		}
		p.inputs = append(p.inputs, in)
		p.inSlots = append(p.inSlots, slot(in.Name))
	}
	for _, name := range outer {
		if _, ok := p.slotOf[name]; ok {
			continue
		}
		p.inputs = append(p.inputs, onnx.ValueInfo{Name: name})
		p.inSlots = append(p.inSlots, slot(name))
	}

	order, err := topoSort(g, p.slotOf)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		st := step{node: n}
		reads := NodeInputs(n)
		consts := make([]*tensor.Tensor, len(reads))
		allConst := true
		for i, name := range reads {
			if name == "" {
				st.in = append(st.in, -1)
				continue
			}
			s := slot(name)
			st.in = append(st.in, s)
			consts[i] = p.constants[s]
			if consts[i] == nil {
				allConst = false
			}
		}
		for _, name := range n.Outputs {
			if name == "" {
				st.out = append(st.out, -1)
				continue
			}
			st.out = append(st.out, slot(name))
		}
		k, err := buildNode(n, opset, reg, consts)
		if err != nil {
			return nil, err
		}
		st.kernel = rewriteKernel(n, k, consts)
		if allConst && foldable(n) {
			// Compile takes no context: folding runs to completion.
			outs, err := runStep(context.Background(), st, consts)
			if err != nil {
				return nil, fmt.Errorf("folding constant node %s: %w", n.Label(), err)
			}
			for i, s := range st.out {
				if s >= 0 {
					p.constants[s] = outs[i]
				}
			}
			continue
		}
		p.steps = append(p.steps, st)
	}

	for _, out := range g.Outputs {
		s, ok := p.slotOf[out.Name]
		if !ok {
			return nil, fmt.Errorf("graph output %q is produced by no node, initializer or input", out.Name)
		}
		p.outputs = append(p.outputs, out)
		p.outSlots = append(p.outSlots, s)
	}
	if fuse {
		p.fuseLayerNorms()
		p.fuseEpilogues()
	}
	p.shareScratch()
	p.planReleases()
	p.markFresh()
	return p, nil
}

// foldable reports whether a node with constant inputs may be evaluated once
// at compile time (anything deterministic).
func foldable(n *onnx.Node) bool {
	switch n.OpType {
	case "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli":
		return false
	}
	return true
}

// planReleases records, for each step, the runtime slots it reads last, so
// Run drops intermediate tensors as soon as possible.
func (p *Program) planReleases() {
	keep := map[int]bool{}
	for _, s := range p.outSlots {
		keep[s] = true
	}
	last := map[int]int{}
	for i, st := range p.steps {
		for _, s := range st.in {
			if s >= 0 && p.constants[s] == nil {
				last[s] = i
			}
		}
		for _, s := range st.out {
			if s >= 0 {
				if _, read := last[s]; !read {
					last[s] = i // produced but never read: drop right away
				}
			}
		}
	}
	for s, i := range last {
		if !keep[s] {
			p.steps[i].release = append(p.steps[i].release, s)
		}
	}
}

// Inputs are the runtime inputs (graph inputs without an initializer).
func (p *Program) Inputs() []onnx.ValueInfo { return p.inputs }

// Outputs are the graph outputs.
func (p *Program) Outputs() []onnx.ValueInfo { return p.outputs }

// Opset is the default-domain opset the program was compiled for.
func (p *Program) Opset() int64 { return p.opset }

// NumSteps is the number of nodes executed per run (after folding).
func (p *Program) NumSteps() int { return len(p.steps) }

// Observation describes one executed node, for profilers and shape capture.
type Observation struct {
	Node     *onnx.Node
	Step     int
	Duration time.Duration
	Inputs   []*tensor.Tensor
	Outputs  []*tensor.Tensor
	// LiveBytes is the size of all runtime tensors alive right after the
	// node ran (its inputs and outputs included, constants excluded).
	LiveBytes int64
	// Fused, in RunTimed's observations of a fused step, lists the nodes
	// whose work the step did (Node first); nil otherwise.
	Fused []*onnx.Node
}

// Observer is called after every executed node; it must not keep or modify
// the tensors.
type Observer func(Observation)

// Run executes the program. inputs must hold every runtime input by name;
// the result holds every graph output by name.
func (p *Program) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return p.run(ctx, inputs, nil, false)
}

// RunObserved is Run with an observer called after each node. The nodes
// of a fused step (see fuseEpilogues) run one by one here, so that each
// gets its own time and output; the bits are the same as Run's.
func (p *Program) RunObserved(ctx context.Context, inputs map[string]*tensor.Tensor, obs Observer) (map[string]*tensor.Tensor, error) {
	return p.run(ctx, inputs, obs, true)
}

// RunTimed is Run with an observer called after each step as Run executes
// it: a fused step runs fused and is observed once, its nodes in
// Observation.Fused. Its times are what a deployed program takes (a
// profile's), where RunObserved's are those of the nodes one by one. As in
// Run, an element-wise step may write its output into the memory of an
// input it reads last (see buffers): the observer then sees that input's
// memory holding the output, a tensor it was shown earlier may be
// overwritten by a later step, and LiveBytes counts such a tensor twice
// until its input is released. Observers read durations and sizes, and
// keep no tensor (Observer).
func (p *Program) RunTimed(ctx context.Context, inputs map[string]*tensor.Tensor, obs Observer) (map[string]*tensor.Tensor, error) {
	return p.run(ctx, inputs, obs, false)
}

// run executes the program, observing each step (obs non-nil); perNode
// runs fused steps node by node and observes each node.
func (p *Program) run(ctx context.Context, inputs map[string]*tensor.Tensor, obs Observer, perNode bool) (map[string]*tensor.Tensor, error) {
	vals := make([]*tensor.Tensor, len(p.constants))
	copy(vals, p.constants)
	var live int64
	for i, vi := range p.inputs {
		t, ok := inputs[vi.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q (%s)", vi.Name, describeValueInfo(vi))
		}
		if err := checkInput(vi, t); err != nil {
			return nil, err
		}
		vals[p.inSlots[i]] = t
		live += t.ByteSize()
	}
	for name := range inputs {
		if !p.isInput(name) {
			return nil, fmt.Errorf("unknown input %q (the model's inputs are %s)", name, p.inputNames())
		}
	}
	args := []*tensor.Tensor{}
	var bufs *buffers
	if !perNode {
		bufs = &buffers{own: make([]bool, len(vals))}
	}
	for i, st := range p.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		args = args[:0]
		for _, s := range st.in {
			if s < 0 {
				args = append(args, nil)
				continue
			}
			args = append(args, vals[s])
		}
		var start time.Time
		if obs != nil {
			start = time.Now()
		}
		var outs []*tensor.Tensor
		var err error
		var spare []bool
		var observed func(u step, args, outs []*tensor.Tensor, dur time.Duration)
		if obs != nil && perNode && st.unfused != nil {
			// Observed runs (profiles, shape capture) run a fused step's
			// nodes one by one, so that each node gets its own time.
			observed = func(u step, args, outs []*tensor.Tensor, dur time.Duration) {
				var b int64
				for _, o := range outs {
					if o != nil {
						b += o.ByteSize()
					}
				}
				obs(Observation{Node: u.node, Step: i, Duration: dur, Inputs: args, Outputs: outs, LiveBytes: live + b})
			}
			outs, err = runUnfused(ctx, st, vals, observed)
		} else {
			if bufs != nil {
				spare = bufs.spare(&p.steps[i])
			}
			outs, err = runStepReusing(ctx, st, args, spare)
			if st.unfused != nil && errors.Is(err, kernel.ErrNotFused) {
				outs, err = runUnfused(ctx, st, vals, nil)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("node %s (%s): %w", st.node.Label(), st.node.OpType, err)
		}
		var dur time.Duration
		if obs != nil {
			dur = time.Since(start)
		}
		for j, s := range st.out {
			if s >= 0 {
				vals[s] = outs[j]
				live += outs[j].ByteSize()
			}
		}
		if bufs != nil {
			bufs.produced(&p.steps[i], args, outs, spare)
		}
		if obs != nil && observed == nil {
			o := Observation{Node: st.node, Step: i, Duration: dur, Inputs: args, Outputs: outs, LiveBytes: live}
			for _, u := range st.unfused {
				o.Fused = append(o.Fused, u.node)
			}
			obs(o)
		}
		for _, s := range st.release {
			if vals[s] != nil {
				live -= vals[s].ByteSize()
			}
			vals[s] = nil
		}
	}
	res := make(map[string]*tensor.Tensor, len(p.outputs))
	for i, vi := range p.outputs {
		t := vals[p.outSlots[i]]
		if t == nil {
			return nil, fmt.Errorf("graph output %q was not computed", vi.Name)
		}
		res[vi.Name] = t
	}
	return res, nil
}

// runUnfused runs the original steps of a fused step one by one, reading
// and writing vals, and returns the last one's outputs; the intermediate
// values are dropped again. each, when non-nil, is called after every step
// with its time.
func runUnfused(ctx context.Context, st step, vals []*tensor.Tensor, each func(u step, args, outs []*tensor.Tensor, dur time.Duration)) ([]*tensor.Tensor, error) {
	var outs []*tensor.Tensor
	for k, u := range st.unfused {
		args := make([]*tensor.Tensor, len(u.in))
		for j, s := range u.in {
			if s >= 0 {
				args[j] = vals[s]
			}
		}
		start := time.Now()
		var err error
		if outs, err = runStep(ctx, u, args); err != nil {
			return nil, fmt.Errorf("node %s (%s): %w", u.node.Label(), u.node.OpType, err)
		}
		if each != nil {
			each(u, args, outs, time.Since(start))
		}
		if k == len(st.unfused)-1 {
			break
		}
		for j, s := range u.out {
			if s >= 0 {
				vals[s] = outs[j]
			}
		}
	}
	for _, u := range st.unfused[:len(st.unfused)-1] {
		for _, s := range u.out {
			if s >= 0 {
				vals[s] = nil
			}
		}
	}
	return outs, nil
}

func runStep(ctx context.Context, st step, args []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	return runStepReusing(ctx, st, args, nil)
}

// runStepReusing is runStep, letting a kernel.Reuser write its output into
// the memory of the inputs marked in spare (nil: none).
func runStepReusing(ctx context.Context, st step, args []*tensor.Tensor, spare []bool) (outs []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel panic: %v", r)
		}
	}()
	ru, reuse := st.kernel.(kernel.Reuser)
	switch ck, ok := st.kernel.(contextKernel); {
	case ok:
		outs, err = ck.RunContext(ctx, args)
	case reuse && spare != nil:
		outs, err = ru.RunReusing(args, spare)
	default:
		outs, err = st.kernel.Run(args)
	}
	if err != nil {
		return nil, err
	}
	if len(outs) < len(st.out) {
		// Trailing optional outputs a kernel does not produce are allowed
		// only when the node does not name them.
		for j := len(outs); j < len(st.out); j++ {
			if st.out[j] >= 0 {
				return nil, fmt.Errorf("kernel produced %d outputs, node names %d", len(outs), len(st.out))
			}
		}
	}
	for j := range st.out {
		if st.out[j] >= 0 && outs[j] == nil {
			return nil, fmt.Errorf("kernel produced no value for output %d", j)
		}
	}
	return outs, nil
}

func (p *Program) isInput(name string) bool {
	for _, vi := range p.inputs {
		if vi.Name == name {
			return true
		}
	}
	return false
}

func (p *Program) inputNames() string {
	s := ""
	for i, vi := range p.inputs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q %s", vi.Name, describeValueInfo(vi))
	}
	return s
}
