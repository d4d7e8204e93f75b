package v1alpha1

import "time"

// DistributedModelStatus is the observed state of a DistributedModel.
type DistributedModelStatus struct {
	// ObservedGeneration is the metadata.generation last acted upon.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions are the latest observations, one per type.
	Conditions []Condition `json:"conditions,omitempty"`
	// Placement is the placement currently deployed.
	Placement *PlacementStatus `json:"placement,omitempty"`
	// Endpoint is the URL serving predictions.
	Endpoint string `json:"endpoint,omitempty"`
	// LastAppliedRevision is the revision deployed successfully last.
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`
	// LastAttemptedRevision is the revision the controller tried last.
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`
}

// PlacementStatus is the active placement and its predicted performance.
type PlacementStatus struct {
	// Objective is the objective the placement was planned for.
	Objective Objective `json:"objective,omitempty"`
	// Partitions lists the partitions in pipeline order.
	Partitions []PartitionStatus `json:"partitions,omitempty"`
	// PredictedLatencySeconds is the planner's time for one request.
	PredictedLatencySeconds *float64 `json:"predictedLatencySeconds,omitempty"`
	// PredictedThroughput is the planner's steady-state requests per second.
	PredictedThroughput *float64 `json:"predictedThroughput,omitempty"`
	// PredictedTransferSeconds is the planner's time per request spent
	// moving tensors between nodes (every hop, the return included).
	PredictedTransferSeconds *float64 `json:"predictedTransferSeconds,omitempty"`
	// MeasuredLatencySeconds and MeasuredTransferSeconds are the mean
	// end-to-end latency and the part of it not spent computing or queued
	// in partitions, over the last observation window.
	MeasuredLatencySeconds  *float64 `json:"measuredLatencySeconds,omitempty"`
	MeasuredTransferSeconds *float64 `json:"measuredTransferSeconds,omitempty"`
	// MeasuredRequests is the number of requests of that window.
	MeasuredRequests int64 `json:"measuredRequests,omitempty"`
}

// IndexRange is a half-open range of unit indexes [start, end).
type IndexRange struct {
	// Start is the first unit's index.
	Start int32 `json:"start"`
	// End is one past the last unit's index.
	End int32 `json:"end"`
}

// PartitionStatus is one deployed partition.
type PartitionStatus struct {
	// Index is the partition's position in the pipeline, from 0.
	Index int32 `json:"index"`
	// Units is the range of units it runs.
	Units IndexRange `json:"units"`
	// Node is the Swarm node ID it runs on.
	Node string `json:"node"`
	// Hostname is that node's hostname.
	Hostname string `json:"hostname,omitempty"`
	// Service is the Swarm service running it.
	Service string `json:"service,omitempty"`
	// Ready is true once the service answers.
	Ready bool `json:"ready"`
	// PredictedComputeSeconds is the planner's compute time of the
	// partition per request on its node.
	PredictedComputeSeconds *float64 `json:"predictedComputeSeconds,omitempty"`
	// MeasuredComputeSeconds is the mean compute time the partition
	// reported for the requests of the last observation window.
	MeasuredComputeSeconds *float64 `json:"measuredComputeSeconds,omitempty"`
}

// ConditionType names a condition.
type ConditionType string

// The condition types of a DistributedModel.
const (
	// ConditionSliced: the model was split into units.
	ConditionSliced ConditionType = "Sliced"
	// ConditionBenchmarked: a fresh cluster profile exists.
	ConditionBenchmarked ConditionType = "Benchmarked"
	// ConditionPlaced: a feasible placement was computed.
	ConditionPlaced ConditionType = "Placed"
	// ConditionDeployed: the partitions' services were created.
	ConditionDeployed ConditionType = "Deployed"
	// ConditionReady: the endpoint serves predictions.
	ConditionReady ConditionType = "Ready"
	// ConditionReconciling: the controller is working towards the spec.
	ConditionReconciling ConditionType = "Reconciling"
	// ConditionStalled: progress needs a change to the spec or the cluster.
	ConditionStalled ConditionType = "Stalled"
)

// ConditionStatus is the truth of a condition.
type ConditionStatus string

// The values of a condition's status.
const (
	// ConditionTrue means the condition holds.
	ConditionTrue ConditionStatus = "True"
	// ConditionFalse means it does not.
	ConditionFalse ConditionStatus = "False"
	// ConditionUnknown means it cannot be told.
	ConditionUnknown ConditionStatus = "Unknown"
)

// Reasons used in conditions: CamelCase words explaining the status.
const (
	ReasonSucceeded           = "Succeeded"
	ReasonProgressing         = "Progressing"
	ReasonSuspended           = "Suspended"
	ReasonInvalidSpec         = "InvalidSpec"
	ReasonModelNotFound       = "ModelNotFound"
	ReasonChecksumMismatch    = "ChecksumMismatch"
	ReasonSliceFailed         = "SliceFailed"
	ReasonBenchmarkFailed     = "BenchmarkFailed"
	ReasonProfileStale        = "ProfileStale"
	ReasonNoFeasiblePlacement = "NoFeasiblePlacement"
	ReasonNodeNotFound        = "NodeNotFound"
	ReasonDeployFailed        = "DeployFailed"
	ReasonServicesNotReady    = "ServicesNotReady"
	ReasonServing             = "Serving"
	ReasonPortConflict        = "PortConflict"
)

// Label keys papdl puts on the objects it owns (services, configs).
const (
	// LabelModel holds the DistributedModel's name.
	LabelModel = "papdl.io/model"
	// LabelPartition holds the partition's index.
	LabelPartition = "papdl.io/partition"
	// LabelRevision holds the revision the object belongs to.
	LabelRevision = "papdl.io/revision"
	// LabelSpecHash holds the hash of the spec that produced the object.
	LabelSpecHash = "papdl.io/spec-hash"
)

// Annotation keys users (and papdlctl) put on a DistributedModel.
const (
	// AnnotationReconcileRequestedAt, when its value changes, asks the
	// controller to reconcile the model now (`papdlctl reconcile`, like
	// Flux's reconcile.fluxcd.io/requestedAt); it is not a spec change
	// (no new generation). The controller's record keeps the value it
	// last handled.
	AnnotationReconcileRequestedAt = "papdl.io/reconcile-requested-at"
)

// Condition is one observation about an object.
type Condition struct {
	// Type names the condition.
	Type ConditionType `json:"type"`
	// Status is True, False or Unknown.
	Status ConditionStatus `json:"status"`
	// ObservedGeneration is the generation the observation was made on.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	// Reason is a CamelCase word explaining Status.
	Reason string `json:"reason"`
	// Message is a human-readable explanation.
	Message string `json:"message,omitempty"`
}

// FindCondition returns the condition of type t, or nil.
func FindCondition(conditions []Condition, t ConditionType) *Condition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}

// IsTrue reports whether the condition of type t exists and is True.
func IsTrue(conditions []Condition, t ConditionType) bool {
	c := FindCondition(conditions, t)
	return c != nil && c.Status == ConditionTrue
}

// IsFalse reports whether the condition of type t exists and is False.
func IsFalse(conditions []Condition, t ConditionType) bool {
	c := FindCondition(conditions, t)
	return c != nil && c.Status == ConditionFalse
}

// SetCondition adds c or updates the condition of the same type. The
// transition time moves (to c.LastTransitionTime, or now when that is
// zero) only when the status changes. It reports whether anything changed.
func SetCondition(conditions *[]Condition, c Condition, now time.Time) bool {
	if c.LastTransitionTime.IsZero() {
		c.LastTransitionTime = now
	}
	old := FindCondition(*conditions, c.Type)
	if old == nil {
		*conditions = append(*conditions, c)
		return true
	}
	if old.Status == c.Status {
		c.LastTransitionTime = old.LastTransitionTime
	}
	if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message &&
		old.ObservedGeneration == c.ObservedGeneration && old.LastTransitionTime.Equal(c.LastTransitionTime) {
		return false
	}
	*old = c
	return true
}

// RemoveCondition deletes the condition of type t; it reports whether one
// was there.
func RemoveCondition(conditions *[]Condition, t ConditionType) bool {
	for i := range *conditions {
		if (*conditions)[i].Type == t {
			*conditions = append((*conditions)[:i], (*conditions)[i+1:]...)
			return true
		}
	}
	return false
}
