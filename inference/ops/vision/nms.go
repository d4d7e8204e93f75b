// Package vision implements ONNX's detection and sampling operators:
// NonMaxSuppression, RoiAlign, GridSample and MaxUnpool. Candidates are
// ordered by a stable sort (ties keep index order) and sums run in float64
// in a fixed order, so results are the same bits on every run.
package vision

import (
	"fmt"
	"math"
	"sort"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("NonMaxSuppression", buildNMS)
	add("RoiAlign", buildRoiAlign)
	add("GridSample", buildGridSample)
	add("MaxUnpool", buildMaxUnpool)
}

func buildNMS(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	center, err := n.AttrInt("center_point_box", 0)
	if err != nil {
		return nil, err
	}
	if center != 0 && center != 1 {
		return nil, fmt.Errorf("center_point_box = %d, want 0 or 1", center)
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		boxes, scores := in[0], in[1]
		if boxes.Rank() != 3 || boxes.Shape[2] != 4 || scores.Rank() != 3 ||
			scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1] {
			return nil, fmt.Errorf("boxes %v and scores %v, want (B, N, 4) and (B, C, N)", boxes.Shape, scores.Shape)
		}
		var maxOut int64
		if t := kernel.Input(in, 2); t != nil && t.Len() > 0 {
			v, err := kernel.Ints(t)
			if err != nil {
				return nil, fmt.Errorf("max_output_boxes_per_class: %w", err)
			}
			maxOut = v[0]
		}
		iouTh, scoreTh := 0.0, math.Inf(-1)
		if t := kernel.Input(in, 3); t != nil && t.Len() > 0 {
			v, err := kernel.Floats(t)
			if err != nil {
				return nil, fmt.Errorf("iou_threshold: %w", err)
			}
			iouTh = v[0]
		}
		hasScoreTh := false
		if t := kernel.Input(in, 4); t != nil && t.Len() > 0 {
			v, err := kernel.Floats(t)
			if err != nil {
				return nil, fmt.Errorf("score_threshold: %w", err)
			}
			scoreTh, hasScoreTh = v[0], true
		}
		bv, err := kernel.Floats(boxes)
		if err != nil {
			return nil, err
		}
		sv, err := kernel.Floats(scores)
		if err != nil {
			return nil, err
		}
		nb, nc, nbox := scores.Shape[0], scores.Shape[1], scores.Shape[2]
		var sel []int64
		for b := 0; b < nb; b++ {
			corners := make([][4]float64, nbox)
			for i := range corners {
				c := bv[(b*nbox+i)*4:]
				if center == 1 {
					corners[i] = [4]float64{c[1] - c[3]/2, c[0] - c[2]/2, c[1] + c[3]/2, c[0] + c[2]/2}
				} else {
					corners[i] = [4]float64{math.Min(c[0], c[2]), math.Min(c[1], c[3]), math.Max(c[0], c[2]), math.Max(c[1], c[3])}
				}
			}
			for c := 0; c < nc; c++ {
				s := sv[(b*nc+c)*nbox : (b*nc+c+1)*nbox]
				var cand []int
				for i, v := range s {
					if !hasScoreTh || v > scoreTh {
						cand = append(cand, i)
					}
				}
				sort.SliceStable(cand, func(i, j int) bool { return s[cand[i]] > s[cand[j]] })
				var kept []int
				for _, i := range cand {
					if int64(len(kept)) >= maxOut {
						break
					}
					ok := true
					for _, k := range kept {
						if iou(corners[i], corners[k]) > iouTh {
							ok = false
							break
						}
					}
					if ok {
						kept = append(kept, i)
						sel = append(sel, int64(b), int64(c), int64(i))
					}
				}
			}
		}
		out := tensor.New(tensor.Int64, len(sel)/3, 3)
		copy(out.Int64s(), sel)
		return []*tensor.Tensor{out}, nil
	}), nil
}

// iou is the intersection over union of two boxes given as (y1, x1, y2,
// x2) with y1 <= y2 and x1 <= x2; 0 when either has no area.
func iou(a, b [4]float64) float64 {
	areaA := (a[2] - a[0]) * (a[3] - a[1])
	areaB := (b[2] - b[0]) * (b[3] - b[1])
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	h := math.Max(0, math.Min(a[2], b[2])-math.Max(a[0], b[0]))
	w := math.Max(0, math.Min(a[3], b[3])-math.Max(a[1], b[1]))
	inter := h * w
	return inter / (areaA + areaB - inter)
}
