package distributedmodel

import (
	"math"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// twoNodeProfile is a profile of units a and b on nodes n1 and n2, where
// every unit takes the node's time.
func twoNodeProfile(t1, t2 float64) *clusterprofile.ClusterProfile {
	p := &clusterprofile.ClusterProfile{Model: clusterprofile.Model{Units: []clusterprofile.Unit{{Name: "a"}, {Name: "b"}}}}
	for i, sec := range []float64{t1, t2} {
		id := []string{"n1", "n2"}[i]
		p.Nodes = append(p.Nodes, clusterprofile.Node{ID: id, Hostname: "host-" + id,
			Units: []clusterprofile.UnitMeasurement{{Name: "a", Seconds: sec}, {Name: "b", Seconds: sec}}})
	}
	return p
}

func TestCalibrate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prev    *clusterprofile.ClusterProfile
		factors map[string]float64
		want    [2]float64 // unit time on n1, n2 after calibration
		notes   int
	}{
		{name: "no factors: as measured", prev: twoNodeProfile(0.010, 0.020), want: [2]float64{0.030, 0.030}},
		{name: "no previous profile: as measured", factors: map[string]float64{"n1": 0.5}, want: [2]float64{0.030, 0.030}},
		{
			// n1 served the model: benchmarked next to its traffic it read
			// 30 ms, the traffic says 0.7 of the 10 ms predicted.
			name: "a serving node keeps its traffic's times", prev: twoNodeProfile(0.010, 0.020),
			factors: map[string]float64{"n1": 0.7}, want: [2]float64{0.007, 0.030}, notes: 1,
		},
		{name: "slower than predicted", prev: twoNodeProfile(0.010, 0.020), factors: map[string]float64{"n2": 1.5}, want: [2]float64{0.030, 0.030}, notes: 1},
		{name: "factor bounded", prev: twoNodeProfile(0.010, 0.020), factors: map[string]float64{"n1": 1000}, want: [2]float64{0.160, 0.030}, notes: 1},
		{name: "NaN and unknown nodes ignored", prev: twoNodeProfile(0.010, 0.020), factors: map[string]float64{"n1": math.NaN(), "n9": 2}, want: [2]float64{0.030, 0.030}},
		{
			name: "other units: as measured",
			prev: func() *clusterprofile.ClusterProfile {
				p := twoNodeProfile(0.010, 0.020)
				p.Model.Units[1].Name = "c"
				return p
			}(),
			factors: map[string]float64{"n1": 0.7}, want: [2]float64{0.030, 0.030},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := twoNodeProfile(0.030, 0.030)
			notes := calibrate(fresh, tc.prev, tc.factors)
			if len(notes) != tc.notes {
				t.Errorf("notes %q, want %d", notes, tc.notes)
			}
			for i, want := range tc.want {
				for _, u := range fresh.Nodes[i].Units {
					if math.Abs(u.Seconds-want) > 1e-12 {
						t.Errorf("node %s unit %s: %v s, want %v", fresh.Nodes[i].ID, u.Name, u.Seconds, want)
					}
				}
			}
			if tc.notes > 0 && !strings.Contains(notes[0], "instead of the 60.00 ms benchmarked") {
				t.Errorf("note %q does not give the benchmarked time", notes[0])
			}
		})
	}
}
