package profile

import (
	"slices"
	"testing"
)

// TestWarmupDecidesWhichRunsAreMeasured feeds run times (ms, after the
// node-by-node first run) to the warm-up rule and checks which runs are
// measured.
func TestWarmupDecidesWhichRunsAreMeasured(t *testing.T) {
	for _, tc := range []struct {
		name     string
		asked    int
		runs     []float64
		measured []bool
	}{
		{"a fresh process's two cold runs are warm-up even when one is asked for", 1,
			[]float64{69.4, 67.3, 37.3, 39.3, 37.8}, []bool{false, false, false, true, true}},
		{"steady from the start: the asked-for warm-up, then measured", 3,
			[]float64{30, 30, 30, 31, 30}, []bool{false, false, false, true, true}},
		{"still 10% faster after the asked-for warm-up: one more", 2,
			[]float64{70, 60, 40, 39, 41}, []bool{false, false, false, true, true}},
		{"zero asked for still warms twice", 0,
			[]float64{50, 50, 50}, []bool{false, false, true}},
		{"measured once, measured for good (a faster run later is a sample)", 2,
			[]float64{50, 50, 50, 20, 50}, []bool{false, false, true, true, true}},
		{"extra warm-up is bounded", 2,
			[]float64{1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 10, 1, 0.1, 0.01},
			[]bool{false, false, false, false, false, false, false, false, false, false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWarmup(Options{Warmup: tc.asked}.WithDefaults().Warmup)
			var got []bool
			for _, ms := range tc.runs {
				got = append(got, w.measure(ms/1e3))
			}
			if !slices.Equal(got, tc.measured) {
				t.Errorf("runs %v ms: measured %v, want %v", tc.runs, got, tc.measured)
			}
		})
	}
}
