package swarm

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Labels on the services, networks and images papdl owns.
const (
	LabelModel     = "papdl.io/model"
	LabelPartition = "papdl.io/partition"
	LabelRole      = "papdl.io/role"
	LabelRevision  = "papdl.io/revision"
	LabelSpecHash  = "papdl.io/spec-hash"
	LabelWorkload  = "papdl.io/workload"
	// LabelImage marks images the runtime built (value: the repository).
	LabelImage = "papdl.io/image"
	// LabelNode is the node's name on test-bed nodes (swarm node label).
	LabelNode = "papdl.io/node"
	// LabelCPUs on a swarm node overrides the CPU count the engine reports
	// (a node capped to a fraction of a core reports whole cores).
	LabelCPUs = "papdl.io/cpus"
)

// Roles of benchmark services (workloads use runtime.RolePartition and
// runtime.RoleGateway).
const (
	roleProbe = "bench-probe"
	roleBench = "bench"
)

// NetworkName is the overlay network of a model's services.
func NetworkName(model string) string { return "papdl-" + model }

// workloadLabels are the labels of w's service.
func workloadLabels(w runtime.Workload) (map[string]string, error) {
	js, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode workload %s: %w", w.Name, err)
	}
	return map[string]string{
		LabelModel:     w.Model,
		LabelPartition: strconv.Itoa(w.Partition),
		LabelRole:      w.Role,
		LabelRevision:  w.Revision,
		LabelSpecHash:  w.Hash(),
		LabelWorkload:  string(js),
	}, nil
}

// decodeWorkload reads a workload back from its service's labels.
func decodeWorkload(service string, labels map[string]string) (runtime.Workload, error) {
	var w runtime.Workload
	js, ok := labels[LabelWorkload]
	if !ok {
		return w, fmt.Errorf("service %s has no %s label", service, LabelWorkload)
	}
	if err := json.Unmarshal([]byte(js), &w); err != nil {
		return w, fmt.Errorf("service %s: decode %s label: %w", service, LabelWorkload, err)
	}
	return w, nil
}
