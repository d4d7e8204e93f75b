package planner

import (
	"errors"

	"github.com/papdl/papdl/apis/v1alpha1"
)

// PlanAPIVersion and PlanKind identify the plan file format.
const (
	PlanAPIVersion = "papdl.io/v1alpha1"
	PlanKind       = "PlacementPlan"
)

// DefaultMaxExpansions bounds the states one search phase may expand.
const DefaultMaxExpansions = 2_000_000

// Request is what to plan. Nodes are named by ID or hostname as in the
// profile; units by index.
type Request struct {
	// Objective is latency (default) or throughput.
	Objective v1alpha1.Objective
	// SourceNode is the node (ID or hostname) receiving requests.
	SourceNode string
	// InputBytes overrides the profile's model.inputBytes when positive.
	InputBytes int64
	// Pins force unit ranges onto nodes.
	Pins []Pin
	// Avoid keeps unit ranges off nodes.
	Avoid []Avoid
	// NodeSelector restricts all units to nodes carrying these labels.
	NodeSelector map[string]string
	// Headroom is kept free on every node.
	Headroom Headroom
	// SourceReserveBytes is kept free on the source node besides the
	// headroom: the gateway runs there (RequestFromSpec sets
	// GatewayMemoryBytes).
	SourceReserveBytes int64
	// MaxExpansions bounds each search phase; 0 means DefaultMaxExpansions.
	MaxExpansions int
	// HopOverheadSeconds is the fixed cost of one transfer between two
	// different nodes beyond latency and bytes/bandwidth; see
	// docs/planner.md. Negative means the profile's hopOverheadSeconds, or
	// profile.DefaultHopOverheadSeconds (0.0003) when the profile has none.
	// Beware: the zero value is an explicit 0 (no overhead); callers that
	// want the profile's value must set -1 (RequestFromSpec does).
	HopOverheadSeconds float64
	// Tolerance is a fraction in [0, 1]: among placements whose objective
	// is within it of the optimum (value ≤ optimum·(1+Tolerance)), the
	// plan has the fewest partitions, then the fewest hops, then the best
	// objective. 0, the zero value, takes the optimum itself.
	Tolerance float64
}

// UseProfileHopOverhead is the Request.HopOverheadSeconds that defers to
// the profile (and its default).
const UseProfileHopOverhead = -1

// Pin places units [Start, End) on Node.
type Pin struct {
	// Start is the first unit's index.
	Start int
	// End is one past the last unit's index.
	End int
	// Node is the node's ID or hostname.
	Node string
	// Origin describes where the pin came from, for messages ("pins[0]").
	Origin string
}

// Avoid keeps units [Start, End) off Nodes.
type Avoid struct {
	// Start is the first unit's index.
	Start int
	// End is one past the last unit's index.
	End int
	// Nodes are node IDs or hostnames.
	Nodes []string
	// Origin describes where the rule came from, for messages ("avoid[1]").
	Origin string
}

// Headroom is memory kept free on each node: Bytes plus Percent of the
// node's total memory.
type Headroom struct {
	// Bytes is a fixed amount.
	Bytes int64
	// Percent is a share of the node's total memory.
	Percent int32
}

// Plan is the planner's result and the plan file's content (JSON).
type Plan struct {
	// APIVersion is PlanAPIVersion.
	APIVersion string `json:"apiVersion"`
	// Kind is PlanKind.
	Kind string `json:"kind"`
	// Model is the profiled model's name.
	Model string `json:"model"`
	// Objective is what was optimised.
	Objective v1alpha1.Objective `json:"objective"`
	// SourceNode is the source node's ID.
	SourceNode string `json:"sourceNode"`
	// InputBytes is the input charged on the first hop.
	InputBytes int64 `json:"inputBytes"`
	// OutputBytes is the output charged on the return hop.
	OutputBytes int64 `json:"outputBytes"`
	// HopOverheadSeconds is the per-hop overhead the plan was made with:
	// part of every hop's Seconds and of both endpoints' CPU load.
	HopOverheadSeconds float64 `json:"hopOverheadSeconds"`
	// Units is the number of units.
	Units int `json:"units"`
	// Partitions are the partitions in pipeline order.
	Partitions []Partition `json:"partitions"`
	// Return is the hop bringing the output back to the source node.
	Return Transfer `json:"return"`
	// Nodes summarises the memory and compute on every node used.
	Nodes []NodeUsage `json:"nodes"`
	// Totals are the predicted performance of the plan.
	Totals Totals `json:"totals"`
	// Baselines compare the plan with running everything on one node.
	Baselines Baselines `json:"baselines"`
	// Tolerance is the request's tolerance: the plan is the simplest
	// within Optimum·(1+Tolerance).
	Tolerance float64 `json:"tolerance,omitempty"`
	// Optimum is the best objective value found (seconds of latency, or
	// seconds of the busiest stage), the reference of the tolerance.
	Optimum float64 `json:"optimum"`
	// Optimal is true when every search finished: Optimum is proven
	// optimal and, with a tolerance, the plan is proven the simplest
	// within it (the best among the simplest).
	Optimal bool `json:"optimal"`
	// LowerBound is the proven lower bound on the objective's optimum
	// (seconds of latency, or seconds of the busiest stage); Optimum when
	// Optimal.
	LowerBound float64 `json:"lowerBound"`
	// Expansions is the number of search states expanded.
	Expansions int `json:"expansions"`
}

// Partition is a run of consecutive units on one node.
type Partition struct {
	// Index is the position in the pipeline, from 0.
	Index int `json:"index"`
	// Start is the first unit's index.
	Start int `json:"start"`
	// End is one past the last unit's index.
	End int `json:"end"`
	// FirstUnit and LastUnit name the range's ends.
	FirstUnit string `json:"firstUnit"`
	// LastUnit names the last unit.
	LastUnit string `json:"lastUnit"`
	// Node is the node's ID.
	Node string `json:"node"`
	// Hostname is the node's hostname.
	Hostname string `json:"hostname"`
	// MemoryBytes is the partition's memory (sum of its units' peaks).
	MemoryBytes int64 `json:"memoryBytes"`
	// AvailableBytes is the node's free memory minus headroom.
	AvailableBytes int64 `json:"availableBytes"`
	// ComputeSeconds is the partition's compute time.
	ComputeSeconds float64 `json:"computeSeconds"`
	// In is the hop bringing this partition its input.
	In Transfer `json:"in"`
}

// Transfer is one hop between nodes (zero when both ends are the same node).
type Transfer struct {
	// From is the sending node's ID.
	From string `json:"from"`
	// To is the receiving node's ID.
	To string `json:"to"`
	// Bytes crossing the cut.
	Bytes int64 `json:"bytes"`
	// Seconds is latency + Bytes/bandwidth + the hop overhead, or 0 on
	// the same node.
	Seconds float64 `json:"seconds"`
}

// NodeUsage is the load a plan puts on one node.
type NodeUsage struct {
	// Node is the node's ID.
	Node string `json:"node"`
	// Hostname is the node's hostname.
	Hostname string `json:"hostname"`
	// Partitions is how many partitions the node hosts.
	Partitions int `json:"partitions"`
	// MemoryBytes is the memory of all units on the node.
	MemoryBytes int64 `json:"memoryBytes"`
	// AvailableBytes is the node's free memory minus headroom.
	AvailableBytes int64 `json:"availableBytes"`
	// ComputeSeconds is the compute of all units on the node.
	ComputeSeconds float64 `json:"computeSeconds"`
	// Hops counts the transfers the node sends or receives per request
	// (the source's input and return hops included).
	Hops int `json:"hops"`
	// HopSeconds is the CPU time those hops cost the node: Hops times the
	// hop overhead. The node's stage is ComputeSeconds + HopSeconds.
	HopSeconds float64 `json:"hopSeconds"`
}

// Totals is the predicted performance of a placement.
type Totals struct {
	// ComputeSeconds sums every unit's compute time.
	ComputeSeconds float64 `json:"computeSeconds"`
	// TransferSeconds sums every hop, input and return included (latency,
	// bytes/bandwidth and the hop overhead).
	TransferSeconds float64 `json:"transferSeconds"`
	// LatencySeconds is the time of one request: compute + transfer.
	LatencySeconds float64 `json:"latencySeconds"`
	// BottleneckSeconds is the busiest stage's time per request: a node's
	// compute plus its hop overhead, or a directed link's transfers.
	BottleneckSeconds float64 `json:"bottleneckSeconds"`
	// Bottleneck names the busiest stage ("node vm2", "link vm1->vm2").
	Bottleneck string `json:"bottleneck"`
	// Throughput is requests per second: 1/BottleneckSeconds (0 when the
	// bottleneck is 0 and throughput unbounded).
	Throughput float64 `json:"throughput"`
}

// Baseline is everything on one node.
type Baseline struct {
	// Node is the node's ID.
	Node string `json:"node"`
	// Hostname is the node's hostname.
	Hostname string `json:"hostname"`
	// FitsMemory is false when the whole model exceeds the node's memory.
	FitsMemory bool `json:"fitsMemory"`
	// Totals is the predicted performance.
	Totals Totals `json:"totals"`
	// LatencySpeedup is the baseline's latency over the plan's.
	LatencySpeedup float64 `json:"latencySpeedup"`
	// ThroughputSpeedup is the plan's throughput over the baseline's.
	ThroughputSpeedup float64 `json:"throughputSpeedup"`
}

// Baselines are the single-node references of a plan.
type Baselines struct {
	// Source runs everything on the source node, memory permitting or not.
	Source Baseline `json:"source"`
	// BestSingleNode is the best node that fits the whole model (ignoring
	// pins, avoid rules and selectors); nil when none does.
	BestSingleNode *Baseline `json:"bestSingleNode,omitempty"`
}

// ErrInfeasible is matched (errors.Is) by every *InfeasibleError.
var ErrInfeasible = errors.New("no feasible placement")

// InfeasibleError explains why no placement exists.
type InfeasibleError struct {
	// Constraint names the kind of binding constraint: "constraints",
	// "unit-memory", "pinned-memory", "total-memory", "memory-packing",
	// "budget".
	Constraint string
	// Message explains it with names and numbers.
	Message string
}

// Error returns the message.
func (e *InfeasibleError) Error() string { return "no feasible placement: " + e.Message }

// Is makes errors.Is(err, ErrInfeasible) true.
func (e *InfeasibleError) Is(target error) bool { return target == ErrInfeasible }
