package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// onnxTestData is where Debian's libonnx-testdata package installs the ONNX
// backend test cases.
const onnxTestData = "/usr/share/libonnx-testdata/data"

// testDataCases lists the case directories of one test-data suite ("node",
// "simple", ...). It skips the test when the package is not installed,
// except in CI, where the missing data is a failure.
func testDataCases(t *testing.T, suite string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(onnxTestData, suite, "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no ONNX test data under %s/%s (install libonnx-testdata)", onnxTestData, suite)
		}
		t.Skipf("no ONNX test data under %s/%s (install libonnx-testdata)", onnxTestData, suite)
	}
	for i, p := range dirs {
		dirs[i] = filepath.Dir(p)
	}
	sort.Strings(dirs)
	return dirs
}

// TestNodeTestDataRoundTrip decodes every model of the ONNX node tests,
// re-encodes it and checks that decoding the result gives the same model,
// and that encoding is deterministic.
func TestNodeTestDataRoundTrip(t *testing.T) {
	for _, suite := range []string{"node", "simple", "pytorch-converted", "pytorch-operator"} {
		t.Run(suite, func(t *testing.T) {
			cases := testDataCases(t, suite)
			if suite == "node" && len(cases) < 900 {
				t.Errorf("only %d node test cases found, want the ~932 of libonnx-testdata", len(cases))
			}
			for _, dir := range cases {
				t.Run(filepath.Base(dir), func(t *testing.T) {
					m, err := Load(filepath.Join(dir, "model.onnx"))
					if err != nil {
						t.Fatal(err)
					}
					checkRoundTrip(t, m)
				})
			}
		})
	}
}

// checkRoundTrip asserts Decode(Encode(m)) == m and a stable encoding.
func checkRoundTrip(t *testing.T, m *Model) {
	t.Helper()
	data, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	m2, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v", err)
	}
	if d := diff(m, m2); d != "" {
		t.Fatalf("Decode(Encode(m)) differs from m at Model%s", d)
	}
	data2, err := Encode(m2)
	if err != nil {
		t.Fatalf("second Encode: %v", err)
	}
	if string(data) != string(data2) {
		t.Fatalf("re-encoding is not stable: %d vs %d bytes", len(data), len(data2))
	}
}

// TestNodeTestDataTensors decodes every input_N.pb and output_N.pb of the
// node tests whose graph input or output N is a tensor, and checks type and
// element count against the model's declaration. Sequence and optional
// values (SequenceProto, OptionalProto files) are skipped.
func TestNodeTestDataTensors(t *testing.T) {
	checked := 0
	for _, dir := range testDataCases(t, "node") {
		m, err := Load(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*", "*put_*.pb"))
		for _, path := range files {
			var vi ValueInfo
			if ok, err := pbValueInfo(m, path, &vi); err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			} else if !ok {
				continue
			}
			checkTestTensor(t, path, vi)
			checked++
		}
	}
	// 2,836 tensor files in libonnx-testdata 1.12; allow for other versions.
	if checked < 2500 {
		t.Errorf("checked only %d tensor files", checked)
	}
	t.Logf("checked %d tensor files", checked)
}

// pbValueInfo finds the graph input or output that a test-data file
// input_N.pb or output_N.pb belongs to. ok is false for non-tensor values.
func pbValueInfo(m *Model, path string, vi *ValueInfo) (ok bool, err error) {
	base := filepath.Base(path)
	list := m.Graph.Inputs
	if strings.HasPrefix(base, "output_") {
		list = m.Graph.Outputs
	}
	var idx int
	if _, err := fmt.Sscanf(base[strings.Index(base, "_")+1:], "%d.pb", &idx); err != nil {
		return false, fmt.Errorf("cannot parse index: %v", err)
	}
	if idx >= len(list) {
		return false, fmt.Errorf("index %d beyond the graph's %d values", idx, len(list))
	}
	*vi = list[idx]
	return vi.ElemType != tensor.Undefined || vi.HasShape, nil
}

func checkTestTensor(t *testing.T, path string, vi ValueInfo) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name, x, err := DecodeTensor(data)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if err := x.Check(); err != nil {
		t.Errorf("%s: decoded tensor is inconsistent: %v", path, err)
		return
	}
	// Known quirks of the ONNX test data: bfloat16 values are stored as
	// uint16 tensors, and CastLike's second input (only its type matters)
	// does not have the declared shape.
	bfloat16AsUint16 := vi.ElemType == tensor.BFloat16 && x.DType == tensor.Uint16
	if x.DType != vi.ElemType && !bfloat16AsUint16 {
		t.Errorf("%s: dtype %s, graph declares %s", path, x.DType, vi.ElemType)
	}
	castLikeTarget := strings.Contains(path, "/test_castlike_") && strings.HasSuffix(path, "/input_1.pb")
	if vi.HasShape && len(vi.Shape) != x.Rank() && !castLikeTarget {
		t.Errorf("%s: rank %d, graph declares %d", path, x.Rank(), len(vi.Shape))
	}
	if shape, ok := vi.FixedShape(); ok && tensor.NumElements(shape) != x.Len() && !castLikeTarget {
		t.Errorf("%s: %d elements, graph declares shape %v", path, x.Len(), shape)
	}
	enc, err := EncodeTensor(name, x)
	if err != nil {
		t.Errorf("%s: EncodeTensor: %v", path, err)
		return
	}
	name2, x2, err := DecodeTensor(enc)
	if err != nil {
		t.Errorf("%s: DecodeTensor(EncodeTensor): %v", path, err)
		return
	}
	if name2 != name {
		t.Errorf("%s: name %q became %q", path, name, name2)
	}
	if d := diff(x, x2); d != "" {
		t.Errorf("%s: tensor round trip differs at %s", path, d)
	}
}
