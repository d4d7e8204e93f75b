package ops

import (
	"errors"
	"fmt"
	"sort"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/indexops"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/ops/linalg"
	"github.com/papdl/papdl/inference/ops/logic"
	"github.com/papdl/papdl/inference/ops/loss"
	"github.com/papdl/papdl/inference/ops/mathops"
	"github.com/papdl/papdl/inference/ops/nn"
	"github.com/papdl/papdl/inference/ops/recurrent"
	"github.com/papdl/papdl/inference/ops/shapeops"
	"github.com/papdl/papdl/inference/ops/signal"
	"github.com/papdl/papdl/inference/ops/text"
	"github.com/papdl/papdl/inference/ops/vision"
	"github.com/papdl/papdl/inference/tensor"
)

// ErrUnsupported is wrapped by every error about an operator papdl lacks.
var ErrUnsupported = errors.New("unsupported operator")

// MinOpset and MaxOpset bound the default-domain opsets papdl accepts.
const (
	MinOpset = 1
	MaxOpset = 18
)

// Registry maps ONNX op types (default domain) to builders.
type Registry struct {
	builders map[string]kernel.Builder
}

// NewRegistry returns a registry holding every operator papdl implements.
func NewRegistry() *Registry {
	r := &Registry{builders: map[string]kernel.Builder{}}
	nn.Register(r.add)
	mathops.Register(r.add)
	shapeops.Register(r.add)
	loss.Register(r.add)
	logic.Register(r.add)
	indexops.Register(r.add)
	recurrent.Register(r.add)
	linalg.Register(r.add)
	vision.Register(r.add)
	signal.Register(r.add)
	text.Register(r.add)
	return r
}

func (r *Registry) add(opType string, b kernel.Builder) {
	if _, dup := r.builders[opType]; dup {
		panic("ops: operator registered twice: " + opType)
	}
	r.builders[opType] = b
}

// Supported lists the op types, sorted.
func (r *Registry) Supported() []string {
	out := make([]string, 0, len(r.builders))
	for k := range r.builders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether opType (default domain) is implemented.
func (r *Registry) Has(opType string) bool {
	_, ok := r.builders[opType]
	return ok
}

// Build compiles n. Errors name the node, its op type and the opset.
func (r *Registry) Build(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil, fmt.Errorf("node %s: operator %s of domain %q: %w", n.Label(), n.OpType, n.Domain, ErrUnsupported)
	}
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("node %s: operator %s at opset %d (papdl supports opsets %d-%d): %w",
			n.Label(), n.OpType, opset, MinOpset, MaxOpset, ErrUnsupported)
	}
	b, ok := r.builders[n.OpType]
	if !ok {
		return nil, fmt.Errorf("node %s: operator %s (opset %d): %w", n.Label(), n.OpType, opset, ErrUnsupported)
	}
	k, err := b(n, opset, consts)
	if err != nil {
		return nil, fmt.Errorf("node %s: %s (opset %d): %w", n.Label(), n.OpType, opset, err)
	}
	return k, nil
}
