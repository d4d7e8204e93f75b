package zoo

import (
	"context"
	"testing"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/tensor"
)

// TestSequenceModelsRun compiles the sequence models at the opsets where
// their form changes and checks that they run to finite outputs that
// differ between inputs.
func TestSequenceModelsRun(t *testing.T) {
	for _, tc := range []struct {
		arch   string
		opsets []int64
		out    []int
	}{
		{"lstm_kws", []int64{13, 18}, []int{2, kwsClasses}},
		{"transformer_encoder", []int64{13, 17, 18}, []int{2, encClasses}},
	} {
		for _, opset := range tc.opsets {
			m, err := Generate(tc.arch, Options{Seed: 3, Batch: 2, Opset: opset})
			if err != nil {
				t.Fatalf("%s opset %d: %v", tc.arch, opset, err)
			}
			checkGraph(t, m.Graph)
			p, err := engine.Compile(m, engine.Options{})
			if err != nil {
				t.Fatalf("%s opset %d: %v", tc.arch, opset, err)
			}
			in, _ := p.Inputs()[0].FixedShape()
			x := tensor.New(tensor.Float32, in...)
			for i := range x.Float32s() {
				x.Float32s()[i] = float32(i%13-6) / 6
			}
			out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"input": x})
			if err != nil {
				t.Fatalf("%s opset %d: %v", tc.arch, opset, err)
			}
			y := out["output"]
			if !tensor.SameShape(y.Shape, tc.out) {
				t.Fatalf("%s: output shape %v, want %v", tc.arch, y.Shape, tc.out)
			}
			_, std := stats(y.Float32s())
			if std < 1e-3 || std > 100 {
				t.Errorf("%s opset %d: logits std %g", tc.arch, opset, std)
			}
		}
	}
	if _, err := Generate("lstm_kws", Options{Opset: 12}); err == nil {
		t.Error("lstm_kws at opset 12 was accepted")
	}
}
