package onnx

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// corruptionInputs are real and hand-built models for the corruption
// tests: control flow, string tensors, type-proto attributes, initializers.
func corruptionInputs(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	hand, err := Encode(handModel())
	if err != nil {
		t.Fatal(err)
	}
	out["hand"] = hand
	for _, name := range []string{"test_if", "test_if_opt", "test_loop11", "test_scan9_sum", "test_constant",
		"test_strnormalizer_export_monday_casesensintive_lower", "test_layer_normalization_3d_axis_negative_1_epsilon_expanded"} {
		data, err := os.ReadFile(filepath.Join(onnxTestData, "node", name, "model.onnx"))
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal(err)
			}
			t.Logf("skipping %s: %v", name, err)
			continue
		}
		out[name] = data
	}
	return out
}

// topLevelBoundaries returns the offsets at which a top-level field of the
// message ends (a cut there leaves a valid, shorter message).
func topLevelBoundaries(t *testing.T, data []byte) map[int]bool {
	t.Helper()
	b := map[int]bool{0: true}
	r := newReader(data, 0)
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return b
		}
		b[r.pos] = true
	}
}

// TestTruncatedModels cuts models at every offset: no cut may panic, and a
// cut inside a top-level field must be an error.
func TestTruncatedModels(t *testing.T) {
	for name, data := range corruptionInputs(t) {
		t.Run(name, func(t *testing.T) {
			bounds := topLevelBoundaries(t, data)
			for k := 0; k < len(data); k++ {
				m, err := Decode(data[:k])
				if err == nil && !bounds[k] {
					t.Fatalf("cut at %d of %d inside a field decoded without error", k, len(data))
				}
				if err == nil {
					checkRoundTrip(t, m)
				}
			}
		})
	}
}

// TestCorruptedModels flips bytes of models: no flip may panic, and any
// flip that still decodes must give a model that round-trips.
func TestCorruptedModels(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for name, data := range corruptionInputs(t) {
		t.Run(name, func(t *testing.T) {
			failed, total := 0, 0
			buf := make([]byte, len(data))
			// Every byte of small models; a sample of the larger ones to
			// keep the test short.
			step := 1 + len(data)/1000
			for i := rng.Intn(step); i < len(data); i += step {
				for _, mask := range []byte{0x01, 0x80, 0xff, byte(rng.Intn(255) + 1)} {
					copy(buf, data)
					buf[i] ^= mask
					total++
					m, err := Decode(buf)
					if err != nil {
						failed++
						continue
					}
					checkRoundTrip(t, m)
				}
			}
			// Most flips land in tags, lengths and names; a codec that
			// accepted nearly everything would be skipping too much.
			if failed == 0 {
				t.Errorf("none of %d corruptions was detected", total)
			}
			t.Logf("%d of %d corruptions rejected", failed, total)
		})
	}
}

// TestCorruptedTensors does the same for TensorProto files.
func TestCorruptedTensors(t *testing.T) {
	var files []string
	for _, name := range []string{"test_constant", "test_strnormalizer_export_monday_casesensintive_lower", "test_cast_FLOAT_to_FLOAT16", "test_and2d"} {
		f, _ := filepath.Glob(filepath.Join(onnxTestData, "node", name, "test_data_set_0", "*.pb"))
		files = append(files, f...)
	}
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no ONNX test data")
		}
		t.Skip("no ONNX test data")
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(path)))+"/"+filepath.Base(path), func(t *testing.T) {
			bounds := topLevelBoundaries(t, data)
			for k := 0; k < len(data); k++ {
				if _, _, err := DecodeTensor(data[:k]); err == nil && !bounds[k] {
					t.Fatalf("cut at %d inside a field decoded without error", k)
				}
			}
			buf := make([]byte, len(data))
			// Every byte of small models; a sample of the larger ones to
			// keep the test short.
			step := 1 + len(data)/1000
			for i := 0; i < len(data); i += step {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					copy(buf, data)
					buf[i] ^= mask
					name, x, err := DecodeTensor(buf)
					if err != nil {
						continue
					}
					if err := x.Check(); err != nil {
						t.Fatalf("flip at %d: inconsistent tensor: %v", i, err)
					}
					enc, err := EncodeTensor(name, x)
					if err != nil {
						t.Fatalf("flip at %d: EncodeTensor: %v", i, err)
					}
					if _, x2, err := DecodeTensor(enc); err != nil || diff(x, x2) != "" {
						t.Fatalf("flip at %d: round trip: %v %s", i, err, diff(x, x2))
					}
				}
			}
		})
	}
}
