package v1alpha1

import (
	"encoding/json"
	"fmt"
	"time"
)

// TypeMeta names the schema of an object.
type TypeMeta struct {
	// APIVersion is the group and version, "papdl.io/v1alpha1".
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind is the object's kind, "DistributedModel".
	Kind string `json:"kind,omitempty"`
}

// ObjectMeta is the metadata every papdl object carries.
type ObjectMeta struct {
	// Name identifies the object; a DNS label, as it names Swarm services.
	Name string `json:"name"`
	// Labels are arbitrary key/value pairs for selection.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are arbitrary key/value pairs for tools.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Generation counts changes to the spec. There is no apiserver: the
	// controller computes it, users leave it unset.
	Generation int64 `json:"generation,omitempty"`
}

// DistributedModel is a DNN served split across the nodes of a Swarm.
type DistributedModel struct {
	TypeMeta `json:",inline"`
	// ObjectMeta is the object's metadata.
	ObjectMeta `json:"metadata"`
	// Spec is the desired state.
	Spec DistributedModelSpec `json:"spec"`
	// Status is the observed state, written by the controller.
	Status DistributedModelStatus `json:"status,omitempty"`
}

// Objective is what the planner optimises.
type Objective string

const (
	// ObjectiveLatency minimises the time of one request, source to source.
	ObjectiveLatency Objective = "latency"
	// ObjectiveThroughput maximises steady-state requests per second.
	ObjectiveThroughput Objective = "throughput"
)

// Objectives lists the supported objectives.
func Objectives() []Objective { return []Objective{ObjectiveLatency, ObjectiveThroughput} }

// DistributedModelSpec is the desired state of a DistributedModel.
type DistributedModelSpec struct {
	// Model is the ONNX file to split and serve.
	Model ModelSource `json:"model"`
	// SourceNode is the node that receives requests and returns results;
	// the gateway runs there.
	SourceNode NodeReference `json:"sourceNode"`
	// Input describes one request's input tensor.
	Input InputSpec `json:"input"`
	// BatchSize is the number of samples per request. Defaults to 1.
	BatchSize *int32 `json:"batchSize,omitempty"`
	// Objective is what the placement optimises. Defaults to latency.
	Objective Objective `json:"objective,omitempty"`
	// Constraints restrict where units may run.
	Constraints *PlacementConstraints `json:"constraints,omitempty"`
	// Placement tunes how the planner chooses among near-optimal plans.
	Placement *PlacementSettings `json:"placement,omitempty"`
	// MemoryHeadroom is memory left free on every node. Defaults to 10%.
	MemoryHeadroom *MemoryHeadroom `json:"memoryHeadroom,omitempty"`
	// Benchmark tunes how units are measured on the nodes.
	Benchmark *BenchmarkSettings `json:"benchmark,omitempty"`
	// Gateway configures the prediction endpoint on the source node.
	Gateway *GatewaySpec `json:"gateway,omitempty"`
	// Suspend stops reconciliation while true; running services are kept.
	Suspend *bool `json:"suspend,omitempty"`
}

// ModelSource locates the ONNX model.
type ModelSource struct {
	// Path is the ONNX file; a relative path is resolved against the
	// directory of the spec file.
	Path string `json:"path"`
	// SHA256 pins the file's content: 64 hexadecimal digits.
	SHA256 string `json:"sha256,omitempty"`
}

// NodeReference selects one Swarm node (or, where a list is expected, the
// nodes it matches). Exactly one field must be set.
type NodeReference struct {
	// NodeID is the Swarm node ID.
	NodeID string `json:"nodeID,omitempty"`
	// Hostname is the node's hostname.
	Hostname string `json:"hostname,omitempty"`
	// Selector matches nodes carrying all of these labels.
	Selector map[string]string `json:"selector,omitempty"`
}

// String renders the reference for messages.
func (r NodeReference) String() string {
	switch {
	case r.NodeID != "":
		return "node " + r.NodeID
	case r.Hostname != "":
		return "host " + r.Hostname
	case len(r.Selector) > 0:
		return fmt.Sprintf("nodes labelled %v", r.Selector)
	}
	return "no node"
}

// InputSpec gives the size of one request's input: an element count as
// the original tool took it (224*224*3*batch = 150528), an explicit shape,
// or both when they agree. Elements are float32.
type InputSpec struct {
	// Size is the number of input elements, batch included.
	Size *int64 `json:"size,omitempty"`
	// Shape is the input tensor's shape, batch dimension first.
	Shape []int64 `json:"shape,omitempty"`
}

// Elements returns the element count, from Size or from Shape; 0 if neither
// is set.
func (in InputSpec) Elements() int64 {
	if in.Size != nil {
		return *in.Size
	}
	if len(in.Shape) == 0 {
		return 0
	}
	n := int64(1)
	for _, d := range in.Shape {
		n *= d
	}
	return n
}

// InputElementBytes is the size of one input element (float32).
const InputElementBytes = 4

// PlacementSettings tune the planner's choice (docs/planner.md).
type PlacementSettings struct {
	// Tolerance is a fraction (0.05 = 5%): among placements whose objective
	// is within this fraction of the optimum, the planner takes the one
	// with the fewest partitions, then the fewest hops; a deployed plan is
	// replaced only by one that beats it by more than this fraction.
	// Defaults to 0.05; 0 always takes the optimum and always re-places.
	Tolerance *float64 `json:"tolerance,omitempty"`
}

// PlacementConstraints restrict the planner.
type PlacementConstraints struct {
	// Pins force ranges of units onto one node each.
	Pins []UnitPin `json:"pins,omitempty"`
	// Avoid keeps ranges of units off some nodes.
	Avoid []UnitAvoidance `json:"avoid,omitempty"`
	// NodeSelector restricts every unit to nodes carrying all these labels.
	// The source node keeps its gateway role even when it does not match.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
}

// UnitRange names a contiguous range of units either by index, half-open
// [start, end), or by unit name, first to last inclusive.
type UnitRange struct {
	// Start is the first unit's index.
	Start *int32 `json:"start,omitempty"`
	// End is one past the last unit's index.
	End *int32 `json:"end,omitempty"`
	// First is the first unit's name.
	First string `json:"first,omitempty"`
	// Last is the last unit's name; defaults to First.
	Last string `json:"last,omitempty"`
}

// String renders the range for messages.
func (r UnitRange) String() string {
	if r.First != "" {
		last := r.Last
		if last == "" {
			last = r.First
		}
		return r.First + ".." + last
	}
	s, e := "?", "?"
	if r.Start != nil {
		s = fmt.Sprint(*r.Start)
	}
	if r.End != nil {
		e = fmt.Sprint(*r.End)
	}
	return "[" + s + "," + e + ")"
}

// UnitPin places a range of units on one node.
type UnitPin struct {
	// Units is the pinned range.
	Units UnitRange `json:"units"`
	// Node is where the range must run; a selector must match one node.
	Node NodeReference `json:"node"`
}

// UnitAvoidance keeps a range of units off some nodes.
type UnitAvoidance struct {
	// Units is the range; unset means every unit.
	Units *UnitRange `json:"units,omitempty"`
	// Nodes are the nodes to avoid; selectors may match several.
	Nodes []NodeReference `json:"nodes"`
}

// MemoryHeadroom is memory a placement must leave free on each node:
// Bytes plus Percent of the node's total memory.
type MemoryHeadroom struct {
	// Bytes is a fixed amount, as a quantity: "64Mi", "1G", "1048576".
	Bytes *string `json:"bytes,omitempty"`
	// Percent is a share of the node's total memory, 0 to 90.
	Percent *int32 `json:"percent,omitempty"`
}

// BenchmarkSettings tune the per-node measurement of every unit.
type BenchmarkSettings struct {
	// Repeats is the number of timed runs per unit and node. Defaults to 10.
	Repeats *int32 `json:"repeats,omitempty"`
	// Warmup is the number of untimed runs before timing. Defaults to 2;
	// fewer count as 2 (the first two runs of a fresh process are cold),
	// and more follow while each run is still 10% faster than the last.
	Warmup *int32 `json:"warmup,omitempty"`
	// MaxAge is how old a cluster profile may be before it is measured
	// again, as a Go duration ("24h"). Defaults to 24h.
	MaxAge *Duration `json:"maxAge,omitempty"`
}

// GatewaySpec configures the prediction endpoint.
type GatewaySpec struct {
	// Port is the TCP port published on the source node. Defaults to 8765.
	Port *int32 `json:"port,omitempty"`
	// TokenFile, optional, is an absolute path on the controller's host of
	// a file holding one bearer token: the gateway then requires
	// "Authorization: Bearer TOKEN" on POST /input and the inference
	// endpoints (health, readiness and metadata stay open). The Swarm
	// runtime hands it to the gateway as a secret. Unset: no token.
	TokenFile string `json:"tokenFile,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("90s").
type Duration struct {
	time.Duration
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string such as \"24h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("expected a duration such as \"24h\": %w", err)
	}
	d.Duration = v
	return nil
}
