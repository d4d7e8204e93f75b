package onnx

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/papdl/papdl/inference/tensor"
)

// pb builds protobuf messages field by field for tests, independently of
// the encoder under test.
type pb []byte

func (b pb) varint(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) fixed32(num protowire.Number, v uint32) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

func (b pb) fixed64(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

// packedVarints is the payload of a packed varint field.
func packedVarints(vals ...uint64) []byte {
	var out []byte
	for _, v := range vals {
		out = protowire.AppendVarint(out, v)
	}
	return out
}

func packedFixed32(vals ...uint32) []byte {
	var out []byte
	for _, v := range vals {
		out = protowire.AppendFixed32(out, v)
	}
	return out
}

func packedFixed64(vals ...uint64) []byte {
	var out []byte
	for _, v := range vals {
		out = protowire.AppendFixed64(out, v)
	}
	return out
}

// neg is the varint form of a negative int32/int64 (sign-extended).
func neg(v int64) uint64 { return uint64(v) }

func f32(v float32) uint32 { return math.Float32bits(v) }

func TestDecodeTensorEncodings(t *testing.T) {
	dims23 := pb{}.bytes(fTensorDims, packedVarints(2, 3))
	tests := []struct {
		name string
		in   pb
		want *tensor.Tensor
	}{
		{"float raw", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 1).
			bytes(fTensorRawData, packedFixed32(f32(1.5), f32(-2))),
			tensor.MustFromSlice([]float32{1.5, -2}, 2)},
		{"float packed", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 1).
			bytes(fTensorFloatData, packedFixed32(f32(1.5), f32(-2))),
			tensor.MustFromSlice([]float32{1.5, -2}, 2)},
		{"float unpacked", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 1).
			fixed32(fTensorFloatData, f32(1.5)).fixed32(fTensorFloatData, f32(-2)),
			tensor.MustFromSlice([]float32{1.5, -2}, 2)},
		{"float packed in two chunks, dims unpacked", pb{}.varint(fTensorDims, 2).varint(fTensorDims, 1).varint(fTensorDataType, 1).
			bytes(fTensorFloatData, packedFixed32(f32(1))).bytes(fTensorFloatData, packedFixed32(f32(2))),
			tensor.MustFromSlice([]float32{1, 2}, 2, 1)},
		{"fields in reverse order", pb{}.bytes(fTensorRawData, packedFixed32(f32(3))).varint(fTensorDataType, 1).str(fTensorName, "x").varint(fTensorDims, 1),
			tensor.MustFromSlice([]float32{3}, 1)},
		{"int8 from int32_data", dims23.varint(fTensorDataType, 3).
			bytes(fTensorInt32Data, packedVarints(neg(-128), neg(-1), 0, 1, 127, neg(-5))),
			tensor.MustFromSlice([]int8{-128, -1, 0, 1, 127, -5}, 2, 3)},
		{"uint8 raw", pb{}.varint(fTensorDims, 3).varint(fTensorDataType, 2).bytes(fTensorRawData, []byte{0, 200, 255}),
			tensor.MustFromSlice([]uint8{0, 200, 255}, 3)},
		{"uint8 from int32_data unpacked", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 2).
			varint(fTensorInt32Data, 200).varint(fTensorInt32Data, 7),
			tensor.MustFromSlice([]uint8{200, 7}, 2)},
		{"int16 from int32_data", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 5).bytes(fTensorInt32Data, packedVarints(neg(-300), 300)),
			tensor.MustFromSlice([]int16{-300, 300}, 2)},
		{"uint16 from int32_data", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 4).bytes(fTensorInt32Data, packedVarints(65535)),
			tensor.MustFromSlice([]uint16{65535}, 1)},
		{"int32 from int32_data", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 6).bytes(fTensorInt32Data, packedVarints(neg(math.MinInt32), math.MaxInt32)),
			tensor.MustFromSlice([]int32{math.MinInt32, math.MaxInt32}, 2)},
		{"int32 raw", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 6).bytes(fTensorRawData, []byte{0xfe, 0xff, 0xff, 0xff}),
			tensor.MustFromSlice([]int32{-2}, 1)},
		{"int64 packed", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 7).bytes(fTensorInt64Data, packedVarints(neg(math.MinInt64), 42)),
			tensor.MustFromSlice([]int64{math.MinInt64, 42}, 2)},
		{"int64 unpacked", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 7).varint(fTensorInt64Data, neg(-7)).varint(fTensorInt64Data, 8),
			tensor.MustFromSlice([]int64{-7, 8}, 2)},
		{"int64 raw", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 7).bytes(fTensorRawData, packedFixed64(uint64(1)<<40)),
			tensor.MustFromSlice([]int64{1 << 40}, 1)},
		{"bool raw", pb{}.varint(fTensorDims, 3).varint(fTensorDataType, 9).bytes(fTensorRawData, []byte{1, 0, 2}),
			tensor.MustFromSlice([]bool{true, false, true}, 3)},
		{"bool from int32_data", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 9).bytes(fTensorInt32Data, packedVarints(0, 1)),
			tensor.MustFromSlice([]bool{false, true}, 2)},
		{"float16 from int32_data", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 10).bytes(fTensorInt32Data, packedVarints(0x3c00, 0xfc00)),
			mustFloat16([]uint16{0x3c00, 0xfc00}, 2)},
		{"float16 raw", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 10).bytes(fTensorRawData, []byte{0x00, 0x3c}),
			mustFloat16([]uint16{0x3c00}, 1)},
		{"bfloat16 from int32_data", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 16).bytes(fTensorInt32Data, packedVarints(0x3f80, 0xc000)),
			&tensor.Tensor{DType: tensor.BFloat16, Shape: []int{2}, Data: []uint16{0x3f80, 0xc000}}},
		{"bfloat16 raw", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 16).bytes(fTensorRawData, []byte{0x80, 0x3f}),
			&tensor.Tensor{DType: tensor.BFloat16, Shape: []int{1}, Data: []uint16{0x3f80}}},
		{"double packed", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 11).bytes(fTensorDoubleData, packedFixed64(math.Float64bits(0.1), math.Float64bits(-1e300))),
			tensor.MustFromSlice([]float64{0.1, -1e300}, 2)},
		{"double unpacked", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 11).fixed64(fTensorDoubleData, math.Float64bits(2.5)),
			tensor.MustFromSlice([]float64{2.5}, 1)},
		{"uint32 from uint64_data", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 12).bytes(fTensorUint64Data, packedVarints(math.MaxUint32)),
			tensor.MustFromSlice([]uint32{math.MaxUint32}, 1)},
		{"uint64 from uint64_data unpacked", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 13).varint(fTensorUint64Data, math.MaxUint64),
			tensor.MustFromSlice([]uint64{math.MaxUint64}, 1)},
		{"strings", pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 8).str(fTensorStringData, "a").str(fTensorStringData, ""),
			tensor.MustFromSlice([]string{"a", ""}, 2)},
		{"scalar raw", pb{}.varint(fTensorDataType, 1).bytes(fTensorRawData, packedFixed32(f32(7))),
			tensor.MustFromSlice([]float32{7})},
		{"scalar int64_data", pb{}.varint(fTensorDataType, 7).varint(fTensorInt64Data, 5),
			tensor.MustFromSlice([]int64{5})},
		{"empty with raw_data", pb{}.bytes(fTensorDims, packedVarints(3, 0)).varint(fTensorDataType, 1).bytes(fTensorRawData, nil),
			tensor.MustFromSlice([]float32{}, 3, 0)},
		{"empty without data", pb{}.bytes(fTensorDims, packedVarints(0)).varint(fTensorDataType, 7),
			tensor.MustFromSlice([]int64{}, 0)},
		{"empty string tensor", pb{}.varint(fTensorDims, 0).varint(fTensorDataType, 8),
			tensor.MustFromSlice([]string{}, 0)},
		{"zero dim next to a huge one", pb{}.bytes(fTensorDims, packedVarints(1<<62, 4, 0)).varint(fTensorDataType, 1),
			tensor.MustFromSlice([]float32{}, 1<<62, 4, 0)},
		{"unknown fields and a group are skipped", pb{}.varint(fTensorDims, 1).varint(99, 5).
			bytes(fTensorDocString, []byte("doc")).varint(fTensorDataType, 1).
			bytes(fTensorRawData, packedFixed32(f32(1))).fixed64(98, 1).
			append(protowire.AppendTag(nil, 97, protowire.StartGroupType)...).varint(1, 1).
			append(protowire.AppendTag(nil, 97, protowire.EndGroupType)...),
			tensor.MustFromSlice([]float32{1}, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := DecodeTensor(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Check(); err != nil {
				t.Fatalf("decoded tensor inconsistent: %v", err)
			}
			if d := diff(tc.want, got); d != "" {
				t.Fatalf("got %v %v, want %v %v (differs at %s)", got, got.Data, tc.want, tc.want.Data, d)
			}
			// EncodeTensor must bring the same tensor back.
			enc, err := EncodeTensor("n", got)
			if err != nil {
				t.Fatal(err)
			}
			name, again, err := DecodeTensor(enc)
			if err != nil {
				t.Fatal(err)
			}
			if name != "n" {
				t.Errorf("name %q, want n", name)
			}
			if d := diff(got, again); d != "" {
				t.Errorf("EncodeTensor round trip differs at %s", d)
			}
		})
	}
}

func (b pb) append(raw ...byte) pb { return append(b, raw...) }

func mustFloat16(bits []uint16, shape ...int) *tensor.Tensor {
	t, err := tensor.FromFloat16Bits(bits, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodeTensorName(t *testing.T) {
	in := pb{}.str(fTensorName, "weight").varint(fTensorDims, 1).varint(fTensorDataType, 7).varint(fTensorInt64Data, 3)
	name, _, err := DecodeTensor(in)
	if err != nil {
		t.Fatal(err)
	}
	if name != "weight" {
		t.Errorf("name %q, want weight", name)
	}
}

func TestDecodeTensorErrors(t *testing.T) {
	// A function, not a shared slice: appends must not alias.
	named := func() pb { return pb{}.str(fTensorName, "w") }
	tests := []struct {
		name string
		in   pb
		want []string // substrings of the error
	}{
		{"external data", named().varint(fTensorDims, 1).varint(fTensorDataType, 1).varint(fTensorDataLocation, 1).
			bytes(fTensorExternalData, pb{}.str(1, "location").str(2, "w.bin")),
			[]string{`tensor "w"`, "EXTERNAL"}},
		{"too few raw bytes", named().varint(fTensorDims, 3).varint(fTensorDataType, 1).bytes(fTensorRawData, make([]byte, 8)),
			[]string{`tensor "w"`, "raw_data has 8 bytes", "3 elements"}},
		{"too many typed elements", named().varint(fTensorDims, 1).varint(fTensorDataType, 7).bytes(fTensorInt64Data, packedVarints(1, 2)),
			[]string{`tensor "w"`, "int64_data has 2"}},
		{"missing data", named().bytes(fTensorDims, packedVarints(2, 2)).varint(fTensorDataType, 1),
			[]string{`tensor "w"`, "need 4 elements"}},
		{"name after the error still names it", pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 1).str(fTensorName, "late"),
			[]string{`tensor "late"`}},
		{"wrong typed field", named().varint(fTensorDims, 1).varint(fTensorDataType, 1).varint(fTensorInt64Data, 1),
			[]string{`tensor "w"`, "float32 tensor carries 1 elements in int64_data"}},
		{"raw and typed", named().varint(fTensorDims, 1).varint(fTensorDataType, 1).bytes(fTensorRawData, make([]byte, 4)).fixed32(fTensorFloatData, 0),
			[]string{"both raw_data and float_data"}},
		{"complex64", named().varint(fTensorDims, 1).varint(fTensorDataType, 14).bytes(fTensorRawData, make([]byte, 8)),
			[]string{`tensor "w"`, "data_type 14 (complex64) is not supported"}},
		{"float8", named().varint(fTensorDims, 1).varint(fTensorDataType, 17).bytes(fTensorRawData, make([]byte, 1)),
			[]string{`tensor "w"`, "data_type 17 (float8) is not supported"}},
		{"undefined type", named().varint(fTensorDims, 1),
			[]string{"data_type 0"}},
		{"negative dim", named().varint(fTensorDims, neg(-1)).varint(fTensorDataType, 1),
			[]string{"invalid dimension -1 at axis 0"}},
		{"overflowing dims", named().bytes(fTensorDims, packedVarints(1<<40, 1<<40)).varint(fTensorDataType, 1).bytes(fTensorRawData, make([]byte, 4)),
			[]string{"overflows"}},
		{"raw bytes of a string tensor", named().varint(fTensorDims, 1).varint(fTensorDataType, 8).bytes(fTensorRawData, []byte("abc")),
			[]string{"string tensor has raw_data"}},
		{"segment", named().varint(fTensorDims, 1).varint(fTensorDataType, 1).bytes(fTensorSegment, pb{}.varint(1, 0)),
			[]string{"segment"}},
		{"packed floats not a multiple of 4", named().varint(fTensorDims, 1).varint(fTensorDataType, 1).bytes(fTensorFloatData, make([]byte, 5)),
			[]string{"float_data", "not a multiple of 4"}},
		{"packed varints cut short", named().varint(fTensorDims, 1).varint(fTensorDataType, 7).bytes(fTensorInt64Data, []byte{0x80}),
			[]string{"int64_data ends inside a varint"}},
		{"data_type with the wrong wire type", named().fixed32(fTensorDataType, 1),
			[]string{"TensorProto.data_type (field 2) has wire type 5"}},
		{"truncated field", named().append(protowire.AppendTag(nil, fTensorRawData, protowire.BytesType)...).append(10, 1, 2),
			[]string{"byte 3", "field 9"}},
		{"stray end group", named().append(protowire.AppendTag(nil, 5, protowire.EndGroupType)...),
			[]string{"byte 3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, x, err := DecodeTensor(tc.in)
			if err == nil {
				t.Fatalf("no error; decoded %v", x)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEncodeTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		t    *tensor.Tensor
	}{
		{"nil", nil},
		{"length mismatch", &tensor.Tensor{DType: tensor.Float32, Shape: []int{3}, Data: []float32{1}}},
		{"type mismatch", &tensor.Tensor{DType: tensor.Int64, Shape: []int{1}, Data: []float32{1}}},
		{"unknown dtype", &tensor.Tensor{DType: 14, Shape: []int{1}, Data: []uint16{1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := EncodeTensor("bad", tc.t); err == nil || !strings.Contains(err.Error(), `tensor "bad"`) {
				t.Errorf("error %v, want one naming tensor \"bad\"", err)
			}
		})
	}
}
