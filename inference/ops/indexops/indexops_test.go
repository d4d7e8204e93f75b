package indexops

import (
	"testing"

	"github.com/papdl/papdl/inference/onnx"
	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
	"github.com/papdl/papdl/inference/tensor"
)

func seq(shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(i + 1)
	}
	return t
}

func TestTrilu(t *testing.T) {
	x := seq(3, 3)
	tests := []struct {
		name  string
		upper int64
		k     *tensor.Tensor
		want  []float64
	}{
		{"upper", 1, nil, []float64{1, 2, 3, 0, 5, 6, 0, 0, 9}},
		{"upper k=1", 1, kt.I64(nil, 1), []float64{0, 2, 3, 0, 0, 6, 0, 0, 0}},
		{"lower", 0, nil, []float64{1, 0, 0, 4, 5, 0, 7, 8, 9}},
		{"lower k=-1", 0, kt.I64(nil, -1), []float64{0, 0, 0, 4, 0, 0, 7, 8, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := kt.Run(t, buildTrilu, kt.Node("Trilu", 2, 1, kt.Int("upper", tc.upper)), 14, x, tc.k)
			kt.Close(t, "y", out[0], []int{3, 3}, tc.want, 0)
		})
	}
}

func TestOneHotAndEyeLike(t *testing.T) {
	// Index -1 counts from the end; 5 is out of range and gives all "off".
	idx := kt.I64([]int{3}, 0, -1, 5)
	vals := kt.F32([]int{2}, 2, 7)
	out := kt.Run(t, buildOneHot, kt.Node("OneHot", 3, 1), 11, idx, kt.I64(nil, 3), vals)
	kt.Close(t, "axis -1", out[0], []int{3, 3}, []float64{7, 2, 2, 2, 2, 7, 2, 2, 2}, 0)
	out = kt.Run(t, buildOneHot, kt.Node("OneHot", 3, 1, kt.Int("axis", 0)), 11, idx, kt.I64(nil, 3), vals)
	kt.Close(t, "axis 0", out[0], []int{3, 3}, []float64{7, 2, 2, 2, 2, 2, 2, 7, 2}, 0)

	out = kt.Run(t, buildEyeLike, kt.Node("EyeLike", 1, 1, kt.Int("k", 1)), 9, seq(2, 3))
	kt.Close(t, "eye", out[0], []int{2, 3}, []float64{0, 1, 0, 0, 0, 1}, 0)
}

func TestNonZeroCompress(t *testing.T) {
	x := kt.F32([]int{2, 2}, 0, 3, 4, 0)
	out := kt.Run(t, buildNonZero, kt.Node("NonZero", 1, 1), 13, x)
	kt.Close(t, "nonzero", out[0], []int{2, 2}, []float64{0, 1, 1, 0}, 0)

	cond := tensor.MustFromSlice([]bool{false, true}, 2)
	out = kt.Run(t, buildCompress, kt.Node("Compress", 2, 1, kt.Int("axis", 1)), 11, seq(2, 2), cond)
	kt.Close(t, "axis 1", out[0], []int{2, 1}, []float64{2, 4}, 0)
	out = kt.Run(t, buildCompress, kt.Node("Compress", 2, 1), 11, seq(2, 2), cond)
	kt.Close(t, "flattened", out[0], []int{1}, []float64{2}, 0)
}

func TestTopK(t *testing.T) {
	// Ties keep index order.
	x := kt.F32([]int{1, 5}, 3, 1, 3, 5, 1)
	tests := []struct {
		name    string
		attrs   []onnx.Attribute
		vals    []float64
		indices []float64
	}{
		{"largest", nil, []float64{5, 3, 3}, []float64{3, 0, 2}},
		{"smallest", []onnx.Attribute{kt.Int("largest", 0)}, []float64{1, 1, 3}, []float64{1, 4, 0}},
		{"unsorted", []onnx.Attribute{kt.Int("sorted", 0)}, []float64{3, 3, 5}, []float64{0, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := kt.Run(t, buildTopK, kt.Node("TopK", 2, 2, tc.attrs...), 11, x, kt.I64([]int{1}, 3))
			kt.Close(t, "values", out[0], []int{1, 3}, tc.vals, 0)
			kt.Close(t, "indices", out[1], []int{1, 3}, tc.indices, 0)
		})
	}
}

func TestScatter(t *testing.T) {
	data := kt.F32([]int{2, 3}, 0, 0, 0, 0, 0, 0)
	idx := kt.I64([]int{1, 2}, 2, -3) // -3 is column 0
	upd := kt.F32([]int{1, 2}, 5, 6)
	out := kt.Run(t, buildScatterElements, kt.Node("ScatterElements", 3, 1, kt.Int("axis", 1)), 13, data, idx, upd)
	kt.Close(t, "elements", out[0], []int{2, 3}, []float64{6, 0, 5, 0, 0, 0}, 0)

	// ScatterND with a duplicated index: "add" accumulates in order.
	nd := kt.I64([]int{3, 1}, 1, 0, 1)
	rows := kt.F32([]int{3, 3}, 1, 1, 1, 2, 2, 2, 3, 3, 3)
	out = kt.Run(t, buildScatterND, kt.Node("ScatterND", 3, 1, kt.String("reduction", "add")), 16, data, nd, rows)
	kt.Close(t, "nd add", out[0], []int{2, 3}, []float64{2, 2, 2, 4, 4, 4}, 0)
	out = kt.Run(t, buildScatterND, kt.Node("ScatterND", 3, 1), 13, data, nd, rows)
	kt.Close(t, "nd last wins", out[0], []int{2, 3}, []float64{2, 2, 2, 3, 3, 3}, 0)
	if _, err := kt.RunErr(buildScatterND, kt.Node("ScatterND", 3, 1), 13, data, kt.I64([]int{1, 1}, 2), kt.F32([]int{1, 3}, 1, 1, 1)); err == nil {
		t.Error("index 2 into 2 rows was accepted")
	}
}

func TestDepthSpace(t *testing.T) {
	x := seq(1, 4, 1, 1) // channels 1..4
	out := kt.Run(t, buildDepthToSpace, kt.Node("DepthToSpace", 1, 1, kt.Int("blocksize", 2)), 13, x)
	kt.Close(t, "DCR", out[0], []int{1, 1, 2, 2}, []float64{1, 2, 3, 4}, 0)
	back := kt.Run(t, buildSpaceToDepth, kt.Node("SpaceToDepth", 1, 1, kt.Int("blocksize", 2)), 13, out[0])
	kt.Close(t, "round trip", back[0], []int{1, 4, 1, 1}, []float64{1, 2, 3, 4}, 0)
	// CRD with 2 output channels of 4 sub-pixels each.
	x = seq(1, 8, 1, 1)
	out = kt.Run(t, buildDepthToSpace, kt.Node("DepthToSpace", 1, 1, kt.Int("blocksize", 2), kt.String("mode", "CRD")), 13, x)
	kt.Close(t, "CRD", out[0], []int{1, 2, 2, 2}, []float64{1, 2, 3, 4, 5, 6, 7, 8}, 0)
	out = kt.Run(t, buildDepthToSpace, kt.Node("DepthToSpace", 1, 1, kt.Int("blocksize", 2)), 13, x)
	kt.Close(t, "DCR 2 channels", out[0], []int{1, 2, 2, 2}, []float64{1, 3, 5, 7, 2, 4, 6, 8}, 0)
}

func TestUnique(t *testing.T) {
	x := kt.F32([]int{6}, 2, 1, 1, 3, 4, 3)
	out := kt.Run(t, buildUnique, kt.Node("Unique", 1, 4), 11, x)
	kt.Close(t, "Y", out[0], []int{4}, []float64{1, 2, 3, 4}, 0)
	kt.Close(t, "indices", out[1], []int{4}, []float64{1, 0, 3, 4}, 0)
	kt.Close(t, "inverse", out[2], []int{6}, []float64{1, 0, 0, 2, 3, 2}, 0)
	kt.Close(t, "counts", out[3], []int{4}, []float64{2, 1, 2, 1}, 0)
	out = kt.Run(t, buildUnique, kt.Node("Unique", 1, 4, kt.Int("sorted", 0)), 11, x)
	kt.Close(t, "Y unsorted", out[0], []int{4}, []float64{2, 1, 3, 4}, 0)
	// Rows of a matrix.
	m := kt.F32([]int{3, 2}, 1, 0, 0, 1, 1, 0)
	out = kt.Run(t, buildUnique, kt.Node("Unique", 1, 4, kt.Int("axis", 0)), 11, m)
	kt.Close(t, "rows", out[0], []int{2, 2}, []float64{0, 1, 1, 0}, 0)
	kt.Close(t, "row counts", out[3], []int{2}, []float64{1, 2}, 0)
}

func TestReverseSequence(t *testing.T) {
	x := seq(3, 2) // time-major: x[t][b]
	out := kt.Run(t, buildReverseSequence, kt.Node("ReverseSequence", 2, 1), 10, x, kt.I64([]int{2}, 3, 2))
	kt.Close(t, "y", out[0], []int{3, 2}, []float64{5, 4, 3, 2, 1, 6}, 0)
}
