package v1alpha1

import (
	"strings"
	"testing"
)

func TestPortConflicts(t *testing.T) {
	model := func(name string, node NodeReference, port *int32) *DistributedModel {
		m := validModel()
		m.Name = name
		m.Spec.SourceNode = node
		if port != nil {
			m.Spec.Gateway = &GatewaySpec{Port: port}
		}
		return m
	}
	vm0, vm1 := NodeReference{Hostname: "vm0"}, NodeReference{Hostname: "vm1"}
	id0 := NodeReference{NodeID: "vm0"}
	sel := func(kv ...string) NodeReference {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return NodeReference{Selector: m}
	}
	p := func(v int32) *int32 { return &v }
	tests := []struct {
		name string
		objs []*DistributedModel
		// want are the models that get an error, in order, each with the
		// model it collides with.
		want [][2]string
		// wantHost is the same for HostPortConflicts.
		wantHost [][2]string
	}{
		{"none", nil, nil, nil},
		{"one", []*DistributedModel{model("a", vm0, nil)}, nil, nil},
		{"default port on one node", []*DistributedModel{model("a", vm0, nil), model("b", vm0, nil)},
			[][2]string{{"b", "a"}}, [][2]string{{"b", "a"}}},
		{"explicit default equals unset", []*DistributedModel{model("a", vm0, nil), model("b", vm0, p(DefaultGatewayPort))},
			[][2]string{{"b", "a"}}, [][2]string{{"b", "a"}}},
		{"same port, other nodes", []*DistributedModel{model("a", vm0, p(9000)), model("b", vm1, p(9000))},
			nil, [][2]string{{"b", "a"}}},
		{"same node, other ports", []*DistributedModel{model("a", vm0, p(9000)), model("b", vm0, p(9001))}, nil, nil},
		{"hostname and node ID are different references", []*DistributedModel{model("a", vm0, nil), model("b", id0, nil)},
			nil, [][2]string{{"b", "a"}}},
		{"equal selectors", []*DistributedModel{model("a", sel("x", "1", "y", "2"), nil), model("b", sel("y", "2", "x", "1"), nil)},
			[][2]string{{"b", "a"}}, [][2]string{{"b", "a"}}},
		{"different selectors", []*DistributedModel{model("a", sel("x", "1"), nil), model("b", sel("x", "2"), nil)},
			nil, [][2]string{{"b", "a"}}},
		{"three on one port: the first keeps it", []*DistributedModel{model("a", vm0, nil), nil, model("b", vm0, nil), model("c", vm0, nil)},
			[][2]string{{"b", "a"}, {"c", "a"}}, [][2]string{{"b", "a"}, {"c", "a"}}},
	}
	check := func(t *testing.T, fn string, got []string, want [][2]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d errors %q, want %d", fn, len(got), got, len(want))
		}
		for i, w := range want {
			if !strings.Contains(got[i], "model "+w[0]+":") || !strings.Contains(got[i], "published by model "+w[1]) ||
				!strings.HasPrefix(got[i], "spec.gateway.port") {
				t.Errorf("%s: error %d = %q, want model %s colliding with %s", fn, i, got[i], w[0], w[1])
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, gotHost []string
			for _, e := range PortConflicts(tt.objs) {
				got = append(got, e.Error())
			}
			for _, e := range HostPortConflicts(tt.objs) {
				gotHost = append(gotHost, e.Error())
			}
			check(t, "PortConflicts", got, tt.want)
			check(t, "HostPortConflicts", gotHost, tt.wantHost)
		})
	}
}
