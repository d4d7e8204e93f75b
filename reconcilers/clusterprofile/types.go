package clusterprofile

import "time"

// Format identifiers checked on load.
const (
	// APIVersion is the profile format's version.
	APIVersion = "papdl.io/v1alpha1"
	// Kind is the profile's kind.
	Kind = "ClusterProfile"
	// TimeUnit is the only accepted unit of every *Seconds field.
	TimeUnit = "seconds"
	// MemoryUnit is the only accepted unit of every *Bytes field.
	MemoryUnit = "bytes"
	// BandwidthUnit is the only accepted unit of every *BytesPerSecond field.
	BandwidthUnit = "bytesPerSecond"
)

// DefaultHopOverheadSeconds is the per-hop overhead assumed when neither
// the profile nor the planner's request gives one: what one hop through
// papdl's chain cost beyond latency and bytes/bandwidth on loopback
// (0.34-0.48 ms per hop, docs/performance.md), rounded down.
const DefaultHopOverheadSeconds = 0.0003

// ClusterProfile is everything the planner needs to know about one model
// on one cluster.
type ClusterProfile struct {
	// APIVersion is "papdl.io/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind is "ClusterProfile".
	Kind string `json:"kind"`
	// Metadata identifies the profile.
	Metadata Metadata `json:"metadata"`
	// Units declares the units of all measurements; must equal
	// {time: seconds, memory: bytes, bandwidth: bytesPerSecond}.
	Units Units `json:"units"`
	// Model describes the sliced model.
	Model Model `json:"model"`
	// Nodes lists the nodes and what was measured on them.
	Nodes []Node `json:"nodes"`
	// Links lists the measured links, one per ordered pair of distinct nodes.
	Links []Link `json:"links"`
	// HopOverheadSeconds is the fixed cost of one transfer between two
	// different nodes beyond the link's latency and bytes/bandwidth:
	// framing, copies into and out of the kernel and a goroutine hand-off
	// on each side. The planner adds it to every such hop and to the CPU
	// load of both the sending and the receiving node. Optional (nil:
	// DefaultHopOverheadSeconds); finite and >= 0 when set.
	HopOverheadSeconds *float64 `json:"hopOverheadSeconds,omitempty"`
}

// HopOverhead returns the profile's per-hop overhead in seconds, or
// DefaultHopOverheadSeconds when the profile does not set one.
func (p *ClusterProfile) HopOverhead() float64 {
	if p.HopOverheadSeconds == nil {
		return DefaultHopOverheadSeconds
	}
	return *p.HopOverheadSeconds
}

// Metadata identifies a profile.
type Metadata struct {
	// Name is a free-form name, usually the model's.
	Name string `json:"name,omitempty"`
	// MeasuredAt is when the benchmark finished.
	MeasuredAt *time.Time `json:"measuredAt,omitempty"`
	// Repeats is the number of timed runs each unit time averages.
	Repeats *int32 `json:"repeats,omitempty"`
	// Warmup is the number of untimed runs before timing.
	Warmup *int32 `json:"warmup,omitempty"`
}

// Units declares the measurement units of the file.
type Units struct {
	// Time is the unit of *Seconds fields: "seconds".
	Time string `json:"time"`
	// Memory is the unit of *Bytes fields: "bytes".
	Memory string `json:"memory"`
	// Bandwidth is the unit of *BytesPerSecond fields: "bytesPerSecond".
	Bandwidth string `json:"bandwidth"`
}

// StandardUnits returns the only units accepted.
func StandardUnits() Units {
	return Units{Time: TimeUnit, Memory: MemoryUnit, Bandwidth: BandwidthUnit}
}

// Model describes the sliced model.
type Model struct {
	// Name is the model's name.
	Name string `json:"name"`
	// SHA256 is the digest of the ONNX file profiled.
	SHA256 string `json:"sha256,omitempty"`
	// InputElements is the input's element count the units were measured
	// with (224*224*3*batch), if recorded.
	InputElements *int64 `json:"inputElements,omitempty"`
	// InputBytes is the size of one request's input tensor(s).
	InputBytes int64 `json:"inputBytes"`
	// OutputBytes is the size of one request's output tensor(s).
	OutputBytes int64 `json:"outputBytes"`
	// Units are the model's units in execution order.
	Units []Unit `json:"units"`
}

// Unit is one slice of the model, the planner's smallest piece.
type Unit struct {
	// Name identifies the unit (the ONNX node name of its last layer).
	Name string `json:"name"`
	// WeightBytes is the size of the unit's parameters.
	WeightBytes int64 `json:"weightBytes"`
	// OutputBytes is the size of the unit's own output tensor(s).
	OutputBytes int64 `json:"outputBytes"`
	// CutBytes is the size of every tensor crossing a cut placed right after
	// this unit: produced at or before it and consumed after it, or a model
	// output. In a residual block it exceeds OutputBytes. For the last unit
	// it must equal the model's OutputBytes.
	CutBytes int64 `json:"cutBytes"`
}

// Node is one Swarm node and what was measured on it.
type Node struct {
	// ID is the Swarm node ID.
	ID string `json:"id"`
	// Hostname is the node's hostname.
	Hostname string `json:"hostname"`
	// Labels are the node's Swarm labels.
	Labels map[string]string `json:"labels,omitempty"`
	// CPUs is the number of CPUs.
	CPUs int32 `json:"cpus"`
	// MemoryBytes is the node's total memory.
	MemoryBytes int64 `json:"memoryBytes"`
	// FreeMemoryBytes is the memory available to papdl when measured.
	FreeMemoryBytes int64 `json:"freeMemoryBytes"`
	// Noise is the benchmark's own spread on the node: half the distance
	// between the 10th and the 90th percentile of the whole model's time
	// over the measured runs, as a fraction of the median. Optional;
	// finite and >= 0 when set.
	Noise *float64 `json:"noise,omitempty"`
	// Units holds one measurement per model unit, in model order.
	Units []UnitMeasurement `json:"units"`
}

// UnitMeasurement is one unit measured on one node.
type UnitMeasurement struct {
	// Name repeats the unit's name; optional, checked when set.
	Name string `json:"name,omitempty"`
	// Seconds is the mean time of one request through the unit.
	Seconds float64 `json:"seconds"`
	// MemoryBytes is the peak memory of running the unit: weights plus
	// working activations.
	MemoryBytes int64 `json:"memoryBytes"`
}

// Link is the measured connection from one node to another.
type Link struct {
	// From is the sending node's ID.
	From string `json:"from"`
	// To is the receiving node's ID.
	To string `json:"to"`
	// RTTSeconds is the measured round-trip time; the one-way latency is
	// taken as RTTSeconds/2.
	RTTSeconds float64 `json:"rttSeconds"`
	// BandwidthBytesPerSecond is the measured throughput from From to To.
	BandwidthBytesPerSecond float64 `json:"bandwidthBytesPerSecond"`
}

// NodeIndex returns the index of the node whose ID or hostname is ref, or -1.
// IDs take precedence over hostnames.
func (p *ClusterProfile) NodeIndex(ref string) int {
	for i := range p.Nodes {
		if p.Nodes[i].ID == ref {
			return i
		}
	}
	for i := range p.Nodes {
		if p.Nodes[i].Hostname == ref {
			return i
		}
	}
	return -1
}

// UnitIndex returns the index of the unit named name, or -1.
func (p *ClusterProfile) UnitIndex(name string) int {
	for i := range p.Model.Units {
		if p.Model.Units[i].Name == name {
			return i
		}
	}
	return -1
}

// Link returns the link from node index i to node index j, or nil.
func (p *ClusterProfile) Link(i, j int) *Link {
	from, to := p.Nodes[i].ID, p.Nodes[j].ID
	for k := range p.Links {
		if p.Links[k].From == from && p.Links[k].To == to {
			return &p.Links[k]
		}
	}
	return nil
}

// Age returns how long ago the profile was measured; ok is false when the
// profile does not say.
func (p *ClusterProfile) Age(now time.Time) (age time.Duration, ok bool) {
	if p.Metadata.MeasuredAt == nil {
		return 0, false
	}
	return now.Sub(*p.Metadata.MeasuredAt), true
}
