package distributedmodel

import (
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/store"
)

// Record is what the controller keeps per model in the state directory
// (models/<name>/status.json): the status users see and the keys of the
// artifacts, profile and plan in use.
type Record struct {
	Name string `json:"name"`
	// Generation counts spec changes (metadata.generation, as an apiserver
	// would keep it); SpecHash is the hash of the spec it counts.
	Generation int64  `json:"generation"`
	SpecHash   string `json:"specHash"`
	// SpecFile is the file that declared the model last: while it holds a
	// document that cannot be decoded, the model is quarantined, not
	// deleted.
	SpecFile string `json:"specFile,omitempty"`
	// Labels and Annotations are the last valid spec's metadata, for
	// label selectors and `papdlctl get -o yaml` (not counted by
	// Generation).
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Spec is the last valid spec, for `papdlctl get -o yaml`.
	Spec        *v1alpha1.DistributedModelSpec  `json:"spec,omitempty"`
	Status      v1alpha1.DistributedModelStatus `json:"status"`
	ModelSHA256 string                          `json:"modelSha256,omitempty"`
	InputKey    string                          `json:"inputKey,omitempty"`
	InputName   string                          `json:"inputName,omitempty"`
	InputShape  []int                           `json:"inputShape,omitempty"`
	// GraphKey identifies the model's graph without its float weights
	// (with the input shape); ProfileGraphKey is the GraphKey the current
	// profile was measured for: a model file whose weights alone changed
	// keeps its profile.
	GraphKey        string `json:"graphKey,omitempty"`
	ProfileGraphKey string `json:"profileGraphKey,omitempty"`
	ProfileKey      string `json:"profileKey,omitempty"`
	PlanKey         string `json:"planKey,omitempty"`
	// PlanSpecHash is the SpecHash the plan was made for: a plan made for
	// the current spec is only replaced when a new one beats it by more
	// than spec.placement.tolerance.
	PlanSpecHash string    `json:"planSpecHash,omitempty"`
	ArtifactKey  string    `json:"artifactKey,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	// Metrics is the gateway's last scraped counters (see observe).
	Metrics *MetricsSnapshot `json:"metrics,omitempty"`
	// DivergentWindows counts consecutive observation windows in which a
	// partition's measured time was off its prediction.
	DivergentWindows int `json:"divergentWindows,omitempty"`
	// BenchmarkRequested, when set, makes the next reconcile benchmark the
	// cluster again, for this reason.
	BenchmarkRequested string `json:"benchmarkRequested,omitempty"`
	// Calibration maps the ID of each node whose partitions diverged to
	// their measured compute time over the predicted one, in the window
	// that asked for a benchmark; that benchmark takes those nodes' unit
	// times from the profile the prediction used, scaled by the factor
	// (see calibrate), and clears it.
	Calibration map[string]float64 `json:"calibration,omitempty"`
	// PredictionBenchmarkAt is when divergence last asked for a benchmark.
	PredictionBenchmarkAt *time.Time `json:"predictionBenchmarkAt,omitempty"`
	// MeasuredLatencySeconds is the gateway's latest measured mean latency
	// (over the last observation window), when known.
	MeasuredLatencySeconds *float64 `json:"measuredLatencySeconds,omitempty"`
}

// RecordPath is where a model's record lives; a name that is not a valid
// model name has none (store.ErrInvalidName).
func RecordPath(s *store.Store, name string) (string, error) {
	return s.ModelFile(name, store.StatusFile)
}

// PlanPath is where a model's current plan lives; a name that is not a
// valid model name has none (store.ErrInvalidName).
func PlanPath(s *store.Store, name string) (string, error) {
	return s.ModelFile(name, store.PlanFile)
}

// LoadRecord reads a model's record; found is false when it has none.
func LoadRecord(s *store.Store, name string) (*Record, bool, error) {
	var rec Record
	path, err := RecordPath(s, name)
	if err != nil {
		return &Record{Name: name}, false, err
	}
	found, err := store.ReadJSON(path, &rec)
	if err != nil || !found {
		return &Record{Name: name}, found, err
	}
	return &rec, true, nil
}
