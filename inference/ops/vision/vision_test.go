package vision

import (
	"testing"

	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
)

func TestNonMaxSuppression(t *testing.T) {
	// Boxes 0 and 1 overlap (IoU 0.6), box 2 is apart; scores favour box 1.
	boxes := kt.F32([]int{1, 3, 4}, 0, 0, 1, 1, 0, 0.2, 1, 1.2, 5, 5, 6, 6)
	scores := kt.F32([]int{1, 1, 3}, 0.8, 0.9, 0.3)
	tests := []struct {
		name    string
		max     int64
		iou     float32
		score   float32
		want    []float64
		wantLen int
	}{
		{"suppress", 10, 0.5, 0, []float64{0, 0, 1, 0, 0, 2}, 2},
		{"keep overlapping", 10, 0.7, 0, []float64{0, 0, 1, 0, 0, 0, 0, 0, 2}, 3},
		{"limit", 1, 0.5, 0, []float64{0, 0, 1}, 1},
		{"score threshold", 10, 0.5, 0.5, []float64{0, 0, 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := kt.Run(t, buildNMS, kt.Node("NonMaxSuppression", 5, 1), 11,
				boxes, scores, kt.I64([]int{1}, tc.max), kt.F32([]int{1}, tc.iou), kt.F32([]int{1}, tc.score))
			kt.Close(t, "selected", out[0], []int{tc.wantLen, 3}, tc.want, 0)
		})
	}
}

func TestMaxUnpool(t *testing.T) {
	x := kt.F32([]int{1, 1, 1, 2}, 5, 6)
	idx := kt.I64([]int{1, 1, 1, 2}, 1, 2)
	out := kt.Run(t, buildMaxUnpool, kt.Node("MaxUnpool", 2, 1, kt.Ints("kernel_shape", 1, 2), kt.Ints("strides", 1, 2)), 11, x, idx)
	kt.Close(t, "y", out[0], []int{1, 1, 1, 4}, []float64{0, 5, 6, 0}, 0)
}

func TestGridSample(t *testing.T) {
	x := kt.F32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// The centre of the image and its top-left corner (align_corners = 1).
	grid := kt.F32([]int{1, 1, 2, 2}, 0, 0, -1, -1)
	out := kt.Run(t, buildGridSample, kt.Node("GridSample", 2, 1, kt.Int("align_corners", 1)), 16, x, grid)
	kt.Close(t, "bilinear", out[0], []int{1, 1, 1, 2}, []float64{2.5, 1}, 1e-9)
	// Outside the image: zeros padding gives 0, border padding the edge.
	far := kt.F32([]int{1, 1, 1, 2}, 3, -1)
	out = kt.Run(t, buildGridSample, kt.Node("GridSample", 2, 1, kt.Int("align_corners", 1)), 16, x, far)
	kt.Close(t, "zeros", out[0], []int{1, 1, 1, 1}, []float64{0}, 1e-9)
	out = kt.Run(t, buildGridSample, kt.Node("GridSample", 2, 1, kt.Int("align_corners", 1), kt.String("padding_mode", "border")), 16, x, far)
	kt.Close(t, "border", out[0], []int{1, 1, 1, 1}, []float64{2}, 1e-9)
}

func TestRoiAlign(t *testing.T) {
	// A constant image averages to the constant whatever the box.
	x := kt.F32([]int{1, 1, 3, 3}, 7, 7, 7, 7, 7, 7, 7, 7, 7)
	rois := kt.F32([]int{1, 4}, 0.5, 0.5, 2, 2)
	out := kt.Run(t, buildRoiAlign, kt.Node("RoiAlign", 3, 1, kt.Int("output_height", 2), kt.Int("output_width", 2)), 16,
		x, rois, kt.I64([]int{1}, 0))
	kt.Close(t, "y", out[0], []int{1, 1, 2, 2}, []float64{7, 7, 7, 7}, 1e-9)
}
