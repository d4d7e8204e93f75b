package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzDecode: Decode never panics, and whatever it accepts must encode and
// decode back to the same model. Seeds: testdata/fuzz/FuzzDecode plus the
// hand-built model.
func FuzzDecode(f *testing.F) {
	hand, err := Encode(handModel())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hand)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded model: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(m)): %v", err)
		}
		if d := diff(m, m2); d != "" {
			t.Fatalf("Decode(Encode(m)) differs at Model%s", d)
		}
	})
}

// FuzzDecodeTensor: DecodeTensor never panics, returns consistent tensors,
// and EncodeTensor brings them back unchanged.
func FuzzDecodeTensor(f *testing.F) {
	for _, x := range handModel().Graph.Initializers {
		b, err := EncodeTensor(x.Name, x.Tensor)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Typed-field encodings, which the test data hardly uses.
	f.Add([]byte(pb{}.bytes(fTensorDims, packedVarints(2, 2)).varint(fTensorDataType, 3).bytes(fTensorInt32Data, packedVarints(neg(-1), 2, 3, 4))))
	f.Add([]byte(pb{}.varint(fTensorDims, 2).varint(fTensorDataType, 1).fixed32(fTensorFloatData, f32(1)).fixed32(fTensorFloatData, f32(2))))
	f.Add([]byte(pb{}.varint(fTensorDims, 1).varint(fTensorDataType, 13).varint(fTensorUint64Data, 1<<63)))
	f.Fuzz(func(t *testing.T, data []byte) {
		name, x, err := DecodeTensor(data)
		if err != nil {
			return
		}
		if err := x.Check(); err != nil {
			t.Fatalf("inconsistent tensor: %v", err)
		}
		enc, err := EncodeTensor(name, x)
		if err != nil {
			t.Fatalf("EncodeTensor of a decoded tensor: %v", err)
		}
		name2, x2, err := DecodeTensor(enc)
		if err != nil {
			t.Fatalf("DecodeTensor(EncodeTensor(x)): %v", err)
		}
		if name2 != name {
			t.Fatalf("name %q became %q", name, name2)
		}
		if d := diff(x, x2); d != "" {
			t.Fatalf("round trip differs at %s", d)
		}
	})
}

// TestWriteFuzzCorpus (re)writes testdata/fuzz from the ONNX test data when
// PAPDL_WRITE_FUZZ_CORPUS=1; otherwise it checks that the committed corpus
// is present and small.
func TestWriteFuzzCorpus(t *testing.T) {
	// The ONNX test-data files copied into the committed seed
	// corpus: small models with subgraphs, string tensors, type-proto
	// attributes and untyped value infos, tensors of several types and an
	// OptionalProto that is not a tensor.
	fuzzSeeds := []struct{ target, name, path string }{
		{"FuzzDecode", "test_if", "node/test_if/model.onnx"},
		{"FuzzDecode", "test_if_opt", "node/test_if_opt/model.onnx"},
		{"FuzzDecode", "test_loop11", "node/test_loop11/model.onnx"},
		{"FuzzDecode", "test_constant", "node/test_constant/model.onnx"},
		{"FuzzDecode", "test_strnormalizer", "node/test_strnormalizer_export_monday_casesensintive_lower/model.onnx"},
		{"FuzzDecode", "test_sequence_map", "node/test_sequence_map_identity_1_sequence/model.onnx"},
		{"FuzzDecodeTensor", "float32", "node/test_constant/test_data_set_0/output_0.pb"},
		{"FuzzDecodeTensor", "string", "node/test_strnormalizer_export_monday_casesensintive_lower/test_data_set_0/input_0.pb"},
		{"FuzzDecodeTensor", "float16", "node/test_cast_FLOAT_to_FLOAT16/test_data_set_0/output_0.pb"},
		{"FuzzDecodeTensor", "bool", "node/test_and2d/test_data_set_0/output_0.pb"},
		{"FuzzDecodeTensor", "optional_proto", "node/test_identity_opt/test_data_set_0/input_0.pb"},
	}
	for _, s := range fuzzSeeds {
		path := filepath.Join("testdata", "fuzz", s.target, s.name)
		if os.Getenv("PAPDL_WRITE_FUZZ_CORPUS") == "1" {
			data, err := os.ReadFile(filepath.Join(onnxTestData, s.path))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			entry := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
			if err := os.WriteFile(path, []byte(entry), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("seed corpus entry missing (run with PAPDL_WRITE_FUZZ_CORPUS=1): %v", err)
			continue
		}
		if fi.Size() > 20<<10 {
			t.Errorf("%s is %d bytes, keep seeds under 20 KB", path, fi.Size())
		}
	}
}
