package ops_test

import (
	"errors"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops"
)

// TestRegistryCoverage checks that the operators of the wider model zoo
// (transformers, recurrent nets, detection, quantized models) are
// registered, and that an unknown operator is reported as unsupported.
func TestRegistryCoverage(t *testing.T) {
	reg := ops.NewRegistry()
	for _, op := range []string{
		"LayerNormalization", "GroupNormalization", "InstanceNormalization", "MeanVarianceNormalization",
		"LSTM", "GRU", "RNN", "ScatterND", "ScatterElements", "Scatter", "GatherND", "Trilu", "OneHot",
		"TopK", "NonZero", "Compress", "Unique", "EyeLike", "Size", "Resize", "Upsample", "DepthToSpace",
		"SpaceToDepth", "GridSample", "RoiAlign", "NonMaxSuppression", "MaxUnpool", "Einsum", "And", "Or",
		"Xor", "Not", "BitShift", "IsInf", "IsNaN", "QuantizeLinear", "DequantizeLinear",
		"DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
		"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss", "Det", "DFT", "STFT",
	} {
		if !reg.Has(op) {
			t.Errorf("%s is not registered", op)
		}
	}
	_, err := reg.Build(&onnx.Node{OpType: "NoSuchOp"}, 13, nil)
	if !errors.Is(err, ops.ErrUnsupported) {
		t.Errorf("unknown operator: err = %v, want ErrUnsupported", err)
	}
	// Attribute errors are reported at build time with the node's name.
	_, err = reg.Build(&onnx.Node{Name: "bad", OpType: "BitShift",
		Attrs: []onnx.Attribute{{Name: "direction", Type: onnx.AttrString, S: []byte("UP")}}}, 13, nil)
	if err == nil || errors.Is(err, ops.ErrUnsupported) {
		t.Errorf("BitShift direction UP: err = %v, want an attribute error", err)
	}
}
