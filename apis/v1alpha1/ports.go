package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	"github.com/papdl/papdl/apis/field"
)

// PortConflicts reports specs that publish their gateway on the same port
// of the same source node (spec.gateway.port, DefaultGatewayPort when
// unset): two gateways cannot both bind it, and a client of one would be
// answered by the other. The first object in objs holding a (node, port)
// keeps it; every later one gets an error at spec.gateway.port naming both
// models, so callers order objs by precedence (e.g. the models already
// serving first). Nodes are compared by reference (node ID, hostname or
// selector, as written): two references to one node by different means are
// not detected here. Nil objects are skipped.
func PortConflicts(objs []*DistributedModel) field.ErrorList {
	return portConflicts(objs, func(m *DistributedModel) (string, string) {
		return nodeKey(m.Spec.SourceNode), m.Spec.SourceNode.String()
	})
}

// HostPortConflicts is PortConflicts for runtimes whose nodes all share
// one host's ports (the local runtime, whose simulated nodes are processes
// on this host): any two gateways on the same port conflict.
func HostPortConflicts(objs []*DistributedModel) field.ErrorList {
	return portConflicts(objs, func(*DistributedModel) (string, string) { return "", "this host" })
}

func portConflicts(objs []*DistributedModel, node func(*DistributedModel) (key, desc string)) field.ErrorList {
	type slot struct {
		node string
		port int32
	}
	holder := map[slot]string{}
	var errs field.ErrorList
	for _, m := range objs {
		if m == nil {
			continue
		}
		key, desc := node(m)
		s := slot{key, GatewayPort(&m.Spec)}
		if other, taken := holder[s]; taken {
			errs = append(errs, field.Invalid(field.NewPath("spec", "gateway", "port"), s.port,
				fmt.Sprintf("model %s: port %d on %s is already published by model %s", m.Name, s.port, desc, other)))
			continue
		}
		holder[s] = m.Name
	}
	return errs
}

// GatewayPort is the port the spec's gateway publishes: spec.gateway.port,
// or DefaultGatewayPort when unset.
func GatewayPort(s *DistributedModelSpec) int32 {
	if s.Gateway != nil && s.Gateway.Port != nil {
		return *s.Gateway.Port
	}
	return DefaultGatewayPort
}

// nodeKey renders a node reference canonically (selector keys sorted).
func nodeKey(r NodeReference) string {
	switch {
	case r.NodeID != "":
		return "id=" + r.NodeID
	case r.Hostname != "":
		return "hostname=" + r.Hostname
	}
	keys := make([]string, 0, len(r.Selector))
	for k := range r.Selector {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("selector=")
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q,", k, r.Selector[k])
	}
	return b.String()
}
