package distributedmodel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// graphKey digests what a benchmark depends on: the operators, their
// attributes and wiring, the inputs and outputs, and every initializer's
// type and shape, plus the values of the non-float initializers (shapes,
// indices: they decide tensor sizes). Two models with the same key differ
// only in float weights: they run the same kernels on the same shapes, so a
// cluster profile measured with one holds for the other.
func graphKey(m *onnx.Model) string {
	h := sha256.New()
	for _, o := range m.OpsetImports {
		fmt.Fprintf(h, "opset %q %d\n", o.Domain, o.Version)
	}
	writeGraph(h, m.Graph)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func writeGraph(h hash.Hash, g *onnx.Graph) {
	if g == nil {
		return
	}
	for _, n := range g.Nodes {
		fmt.Fprintf(h, "node %q %q %q %q\n", n.OpType, n.Domain, n.Inputs, n.Outputs)
		for _, a := range n.Attrs {
			fmt.Fprintf(h, " attr %q %d %v %d %q %v %v %q\n", a.Name, a.Type, a.F, a.I, a.S, a.Floats, a.Ints, a.Strings)
			writeTensor(h, a.T, true)
			for _, t := range a.Tensors {
				writeTensor(h, t, true)
			}
			writeGraph(h, a.G)
			for _, sg := range a.Graphs {
				writeGraph(h, sg)
			}
		}
	}
	for _, in := range g.Initializers {
		fmt.Fprintf(h, "init %q\n", in.Name)
		writeTensor(h, in.Tensor, false)
	}
	for _, vs := range [][]onnx.ValueInfo{g.Inputs, g.Outputs} {
		for _, v := range vs {
			fmt.Fprintf(h, "value %q %v %v %v\n", v.Name, v.ElemType, v.HasShape, v.Shape)
		}
	}
}

// writeTensor digests a tensor's type and shape, and its values unless it
// holds floating-point weights (withFloats false).
func writeTensor(h hash.Hash, t *tensor.Tensor, withFloats bool) {
	if t == nil {
		return
	}
	fmt.Fprintf(h, " tensor %v %v\n", t.DType, t.Shape)
	switch t.DType {
	case tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16:
		if !withFloats {
			return
		}
	}
	fmt.Fprintf(h, " data %v\n", t.Data)
}
