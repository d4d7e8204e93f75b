package chain

import (
	"bytes"
	"testing"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// fuzzExpect is the hop the frame fuzzer reads for: two small tensors.
var fuzzExpect = []slice.Value{
	{Name: "x", DType: tensor.Float32, Shape: []int{2, 3}},
	{Name: "skip", DType: tensor.Int64, Shape: []int{4}},
}

// FuzzReadFrame feeds arbitrary bytes to ReadFrame with a hop's limits:
// it must not panic, must refuse what does not match the expected
// tensors, and must never allocate more than the metadata bound plus the
// expected payload, whatever the header declares.
func FuzzReadFrame(f *testing.F) {
	good := &Frame{Kind: KindData, ErrStage: -1, Timings: []Timing{{Stage: 0}}, Tensors: []NamedTensor{
		{Name: "x", Tensor: tensor.New(tensor.Float32, 2, 3)}, {Name: "skip", Tensor: tensor.New(tensor.Int64, 4)}}}
	for _, fr := range []*Frame{good, {Kind: KindError, ErrStage: 1, Err: "boom"}, {Kind: KindPing, ErrStage: -1},
		{Kind: KindEcho, Blob: []byte("abc")}} {
		var buf bytes.Buffer
		if _, err := WriteFrame(&buf, fr); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add(giantFrameHeader(f, "x"))
	lim := Limits{Expect: fuzzExpect, MaxMeta: 4 << 10}.withDefaults()
	budget := uint64(2*lim.MaxMeta) + uint64(expectedBytes(fuzzExpect)) + 32<<10
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr *Frame
		var err error
		grew := allocatedBy(func() { fr, _, err = ReadFrame(bytes.NewReader(b), lim) })
		if grew > budget+uint64(4*len(b)) {
			t.Fatalf("reading %d bytes allocated %d bytes (budget %d)", len(b), grew, budget)
		}
		if err != nil {
			return
		}
		for _, nt := range fr.Tensors {
			want, ok := lim.expected(nt.Name)
			if !ok || nt.Tensor.DType != want.DType || !tensor.SameShape(nt.Tensor.Shape, want.Shape) {
				t.Fatalf("accepted tensor %q %s, not one the hop carries", nt.Name, nt.Tensor)
			}
		}
		if fr.Kind == KindEcho || fr.Kind == KindEchoReply {
			t.Fatalf("accepted a %s frame on a hop", fr.Kind)
		}
	})
}

// FuzzParseInfer feeds arbitrary inference requests (JSON, or JSON with a
// binary tail) to the gateway's decoder: no panic, and the memory it
// allocates is bounded by the body's size and the model's inputs, never by
// what the request declares.
func FuzzParseInfer(f *testing.F) {
	inputs := []slice.Value{{Name: "input", DType: tensor.Float32, Shape: []int{1, 3, 4, 4}}}
	g, err := NewGateway(GatewayConfig{ModelName: "m", Inputs: inputs, Outputs: inputs, First: "127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,3,4,4],"datatype":"FP32","data":[1,2,3]}]}`), "")
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[268435456],"datatype":"FP64","data":[1]}]}`), "")
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,3,4,4],"datatype":"FP32","parameters":{"binary_data_size":192}}]}`+
		string(make([]byte, 192))), "100")
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,3,4,4],"datatype":"FP32","data":[[1,2],[3]]}],"outputs":[{"name":"input"}]}`), "")
	model := uint64(expectedBytes(inputs))
	f.Fuzz(func(t *testing.T, body []byte, headerLen string) {
		if len(headerLen) > 20 {
			return
		}
		var ins map[string]*tensor.Tensor
		var perr error
		grew := allocatedBy(func() { _, ins, perr = g.current().parseInfer(body, headerLen) })
		if limit := 64*uint64(len(body)) + 2*model + 64<<10; grew > limit {
			t.Fatalf("decoding %d bytes allocated %d (limit %d)", len(body), grew, limit)
		}
		if perr != nil {
			return
		}
		for name, tt := range ins {
			if name != "input" || tt.DType != tensor.Float32 || !tensor.SameShape(tt.Shape, inputs[0].Shape) {
				t.Fatalf("accepted input %q %s", name, tt)
			}
		}
	})
}
