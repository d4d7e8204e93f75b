package planner

import (
	"fmt"

	"github.com/papdl/papdl/apis/field"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// RequestFromSpec translates a defaulted, valid DistributedModel spec into
// a Request against the profile: node references become node IDs, unit
// names become indexes and the input size becomes bytes (float32). Every
// reference that does not resolve is reported, with its field path.
// GatewayMemoryBytes is what the source node keeps for the model's gateway
// (measured: 9-14 MB resident serving ResNet-18, plus room for request
// bodies in flight).
const GatewayMemoryBytes = 24 << 20

func RequestFromSpec(spec *v1alpha1.DistributedModelSpec, prof *clusterprofile.ClusterProfile) (Request, error) {
	p := field.NewPath("spec")
	var errs field.ErrorList
	req := Request{Objective: spec.Objective, InputBytes: spec.Input.Elements() * v1alpha1.InputElementBytes,
		HopOverheadSeconds: UseProfileHopOverhead, Tolerance: v1alpha1.DefaultPlacementTolerance,
		SourceReserveBytes: GatewayMemoryBytes}
	if pl := spec.Placement; pl != nil && pl.Tolerance != nil {
		req.Tolerance = *pl.Tolerance
	}
	if src := resolveNodes(prof, spec.SourceNode); len(src) != 1 {
		errs = append(errs, field.Invalid(p.Child("sourceNode"), spec.SourceNode.String(),
			fmt.Sprintf("must match exactly one profiled node, matches %d", len(src))))
	} else {
		req.SourceNode = prof.Nodes[src[0]].ID
	}
	if h := spec.MemoryHeadroom; h != nil {
		if h.Bytes != nil {
			b, err := v1alpha1.ParseBytes(*h.Bytes)
			if err != nil {
				errs = append(errs, field.Invalid(p.Child("memoryHeadroom", "bytes"), *h.Bytes, err.Error()))
			}
			req.Headroom.Bytes = b
		}
		if h.Percent != nil {
			req.Headroom.Percent = *h.Percent
		}
	}
	if c := spec.Constraints; c != nil {
		cp := p.Child("constraints")
		req.NodeSelector = c.NodeSelector
		for i, pin := range c.Pins {
			pp := cp.Child("pins").Index(i)
			start, end, err := resolveRange(prof, &pin.Units, pp.Child("units"))
			errs = append(errs, err...)
			nodes := resolveNodes(prof, pin.Node)
			if len(nodes) != 1 {
				errs = append(errs, field.Invalid(pp.Child("node"), pin.Node.String(),
					fmt.Sprintf("must match exactly one profiled node, matches %d", len(nodes))))
				continue
			}
			req.Pins = append(req.Pins, Pin{Start: start, End: end, Node: prof.Nodes[nodes[0]].ID, Origin: pp.String()})
		}
		for i, av := range c.Avoid {
			ap := cp.Child("avoid").Index(i)
			start, end := 0, len(prof.Model.Units)
			if av.Units != nil {
				var err field.ErrorList
				start, end, err = resolveRange(prof, av.Units, ap.Child("units"))
				errs = append(errs, err...)
			}
			rule := Avoid{Start: start, End: end, Origin: ap.String()}
			for _, ref := range av.Nodes {
				for _, n := range resolveNodes(prof, ref) {
					rule.Nodes = append(rule.Nodes, prof.Nodes[n].ID)
				}
			}
			if len(rule.Nodes) > 0 {
				req.Avoid = append(req.Avoid, rule)
			}
		}
	}
	if err := errs.ToAggregate(); err != nil {
		return Request{}, fmt.Errorf("spec does not match the cluster profile: %w", err)
	}
	return req, nil
}

// resolveNodes returns the indexes of the profiled nodes ref matches.
func resolveNodes(prof *clusterprofile.ClusterProfile, ref v1alpha1.NodeReference) []int {
	var out []int
	for i, n := range prof.Nodes {
		switch {
		case ref.NodeID != "":
			if n.ID == ref.NodeID {
				out = append(out, i)
			}
		case ref.Hostname != "":
			if n.Hostname == ref.Hostname {
				out = append(out, i)
			}
		case len(ref.Selector) > 0:
			if matches(n.Labels, ref.Selector) {
				out = append(out, i)
			}
		}
	}
	return out
}

// resolveRange turns a UnitRange into [start, end) against the profile.
func resolveRange(prof *clusterprofile.ClusterProfile, r *v1alpha1.UnitRange, p *field.Path) (int, int, field.ErrorList) {
	U := len(prof.Model.Units)
	if r.First != "" {
		last := r.Last
		if last == "" {
			last = r.First
		}
		s, e := prof.UnitIndex(r.First), prof.UnitIndex(last)
		var errs field.ErrorList
		names := func() string {
			n := make([]string, 0, U)
			for _, u := range prof.Model.Units {
				n = append(n, u.Name)
			}
			if len(n) > 8 {
				n = append(n[:8:8], "…")
			}
			return fmt.Sprint(n)
		}
		if s < 0 {
			errs = append(errs, field.Invalid(p.Child("first"), r.First, "no unit of that name; units are "+names()))
		}
		if e < 0 {
			errs = append(errs, field.Invalid(p.Child("last"), last, "no unit of that name; units are "+names()))
		}
		if s >= 0 && e >= 0 && e < s {
			errs = append(errs, field.Invalid(p.Child("last"), last, fmt.Sprintf("comes before first %q", r.First)))
		}
		return s, e + 1, errs
	}
	if r.Start == nil || r.End == nil {
		return 0, 0, field.ErrorList{field.Required(p, "start and end")}
	}
	s, e := int(*r.Start), int(*r.End)
	if s < 0 || e > U || s >= e {
		return s, e, field.ErrorList{field.Invalid(p, r.String(), fmt.Sprintf("must lie within the model's %d units", U))}
	}
	return s, e, nil
}
