package v1alpha1

import "time"

// Default values, applied by Default.
const (
	DefaultBatchSize       int32 = 1
	DefaultObjective             = ObjectiveLatency
	DefaultHeadroomPercent int32 = 10
	DefaultRepeats         int32 = 10
	DefaultWarmup          int32 = 2
	DefaultMaxAge                = 24 * time.Hour
	DefaultGatewayPort     int32 = 8765
	// DefaultPlacementTolerance is spec.placement.tolerance's default.
	DefaultPlacementTolerance = 0.05
)

// Default fills every unset optional field of the object with its default.
// It is idempotent and the only place defaults are decided.
func (m *DistributedModel) Default() {
	if m.APIVersion == "" {
		m.APIVersion = APIVersion
	}
	if m.Kind == "" {
		m.Kind = KindDistributedModel
	}
	m.Spec.Default()
}

// Default fills every unset optional field of the spec.
func (s *DistributedModelSpec) Default() {
	if s.BatchSize == nil {
		s.BatchSize = ptr(DefaultBatchSize)
	}
	if s.Objective == "" {
		s.Objective = DefaultObjective
	}
	if s.MemoryHeadroom == nil {
		s.MemoryHeadroom = &MemoryHeadroom{}
	}
	if s.MemoryHeadroom.Bytes == nil && s.MemoryHeadroom.Percent == nil {
		s.MemoryHeadroom.Percent = ptr(DefaultHeadroomPercent)
	}
	if s.MemoryHeadroom.Bytes == nil {
		s.MemoryHeadroom.Bytes = ptr("0")
	}
	if s.MemoryHeadroom.Percent == nil {
		s.MemoryHeadroom.Percent = ptr(int32(0))
	}
	if s.Benchmark == nil {
		s.Benchmark = &BenchmarkSettings{}
	}
	if s.Benchmark.Repeats == nil {
		s.Benchmark.Repeats = ptr(DefaultRepeats)
	}
	if s.Benchmark.Warmup == nil {
		s.Benchmark.Warmup = ptr(DefaultWarmup)
	}
	if s.Benchmark.MaxAge == nil {
		s.Benchmark.MaxAge = &Duration{Duration: DefaultMaxAge}
	}
	if s.Placement == nil {
		s.Placement = &PlacementSettings{}
	}
	if s.Placement.Tolerance == nil {
		s.Placement.Tolerance = ptr(DefaultPlacementTolerance)
	}
	if s.Gateway == nil {
		s.Gateway = &GatewaySpec{}
	}
	if s.Gateway.Port == nil {
		s.Gateway.Port = ptr(DefaultGatewayPort)
	}
	if s.Suspend == nil {
		s.Suspend = ptr(false)
	}
	if s.Constraints != nil {
		for i := range s.Constraints.Pins {
			r := &s.Constraints.Pins[i].Units
			if r.First != "" && r.Last == "" {
				r.Last = r.First
			}
		}
		for i := range s.Constraints.Avoid {
			if r := s.Constraints.Avoid[i].Units; r != nil && r.First != "" && r.Last == "" {
				r.Last = r.First
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
