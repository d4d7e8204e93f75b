package planner

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

func i32(v int32) *int32 { return &v }

func TestRequestFromSpec(t *testing.T) {
	prof, err := clusterprofile.LoadFile("../clusterprofile/testdata/cluster.json")
	if err != nil {
		t.Fatal(err)
	}
	size := int64(150528)
	base := func() *v1alpha1.DistributedModel {
		m := &v1alpha1.DistributedModel{ObjectMeta: v1alpha1.ObjectMeta{Name: "vgg"}, Spec: v1alpha1.DistributedModelSpec{
			Model:      v1alpha1.ModelSource{Path: "m.onnx"},
			SourceNode: v1alpha1.NodeReference{Selector: map[string]string{"papdl.io/role": "gateway"}},
			Input:      v1alpha1.InputSpec{Size: &size},
			Constraints: &v1alpha1.PlacementConstraints{
				Pins: []v1alpha1.UnitPin{{Units: v1alpha1.UnitRange{Start: i32(0), End: i32(2)}, Node: v1alpha1.NodeReference{Hostname: "vm0"}}},
				Avoid: []v1alpha1.UnitAvoidance{{Units: &v1alpha1.UnitRange{First: "conv5_3", Last: "fc8"},
					Nodes: []v1alpha1.NodeReference{{Selector: map[string]string{"papdl.io/class": "rpi"}}}}},
			},
		}}
		m.Default()
		return m
	}
	t.Run("resolves", func(t *testing.T) {
		req, err := RequestFromSpec(&base().Spec, prof)
		if err != nil {
			t.Fatal(err)
		}
		if req.SourceNode != "id-vm0" || req.InputBytes != 602112 || req.Headroom.Percent != 10 ||
			req.HopOverheadSeconds != UseProfileHopOverhead || req.Tolerance != 0.05 {
			t.Errorf("request %+v", req)
		}
		if len(req.Pins) != 1 || req.Pins[0].Node != "id-vm0" || req.Pins[0].End != 2 {
			t.Errorf("pins %+v", req.Pins)
		}
		if len(req.Avoid) != 1 || req.Avoid[0].Start != 3 || req.Avoid[0].End != 5 || req.Avoid[0].Nodes[0] != "id-vm2" {
			t.Errorf("avoid %+v", req.Avoid)
		}
		plan, err := Solve(prof, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plan.Partitions {
			if p.Start < 2 && p.Node != "id-vm0" || p.End > 3 && p.Node == "id-vm2" {
				t.Errorf("constraint broken by partition %+v", p)
			}
		}
	})
	t.Run("tolerance", func(t *testing.T) {
		m := base()
		m.Spec.Placement.Tolerance = ptr(0.2)
		req, err := RequestFromSpec(&m.Spec, prof)
		if err != nil || req.Tolerance != 0.2 {
			t.Errorf("tolerance %v, err %v; want 0.2", req.Tolerance, err)
		}
	})
	t.Run("reports every unresolved reference", func(t *testing.T) {
		m := base()
		m.Spec.SourceNode = v1alpha1.NodeReference{Selector: map[string]string{"kubernetes.io/arch": "amd64"}}
		m.Spec.Constraints.Pins[0].Units = v1alpha1.UnitRange{First: "conv9"}
		m.Spec.Constraints.Pins[0].Node = v1alpha1.NodeReference{Hostname: "vm7"}
		_, err := RequestFromSpec(&m.Spec, prof)
		for _, want := range []string{"spec.sourceNode", "matches 2", "spec.constraints.pins[0].units.first", "spec.constraints.pins[0].node"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
	})
}
