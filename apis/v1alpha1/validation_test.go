package v1alpha1

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func validModel() *DistributedModel {
	return &DistributedModel{
		TypeMeta:   TypeMeta{APIVersion: APIVersion, Kind: KindDistributedModel},
		ObjectMeta: ObjectMeta{Name: "vgg16"},
		Spec: DistributedModelSpec{
			Model:      ModelSource{Path: "vgg16.onnx"},
			SourceNode: NodeReference{Hostname: "vm0"},
			Input:      InputSpec{Size: ptr(int64(150528))},
		},
	}
}

func TestDefault(t *testing.T) {
	m := validModel()
	m.Spec.Constraints = &PlacementConstraints{Pins: []UnitPin{{Units: UnitRange{First: "conv1"}, Node: NodeReference{NodeID: "x"}}}}
	m.Default()
	s := m.Spec
	checks := []struct {
		name string
		ok   bool
	}{
		{"batchSize", *s.BatchSize == 1},
		{"objective", s.Objective == ObjectiveLatency},
		{"headroom", *s.MemoryHeadroom.Percent == 10 && *s.MemoryHeadroom.Bytes == "0"},
		{"repeats", *s.Benchmark.Repeats == 10 && *s.Benchmark.Warmup == 2},
		{"maxAge", s.Benchmark.MaxAge.Duration == 24*time.Hour},
		{"port", *s.Gateway.Port == 8765},
		{"suspend", !*s.Suspend},
		{"tolerance", *s.Placement.Tolerance == 0.05},
		{"pin last", s.Constraints.Pins[0].Units.Last == "conv1"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("default for %s not applied", c.name)
			}
		})
	}
	before := *m.Spec.MemoryHeadroom
	m.Default()
	if *m.Spec.MemoryHeadroom.Percent != *before.Percent {
		t.Error("Default is not idempotent")
	}
	// A set headroom is kept, its missing half defaulted to zero.
	m2 := validModel()
	m2.Spec.MemoryHeadroom = &MemoryHeadroom{Bytes: ptr("64Mi")}
	m2.Default()
	if *m2.Spec.MemoryHeadroom.Percent != 0 {
		t.Error("explicit bytes headroom must not get a default percentage")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*DistributedModel)
		// fields are the paths that must be reported, all of them.
		fields []string
	}{
		{"valid", func(*DistributedModel) {}, nil},
		{"everything wrong at once", func(m *DistributedModel) {
			m.APIVersion = "v1"
			m.Name = "VGG_16"
			m.Spec.Model.Path = ""
			m.Spec.Model.SHA256 = "abc"
			m.Spec.SourceNode = NodeReference{}
			m.Spec.Objective = "speed"
			m.Spec.Gateway = &GatewaySpec{Port: ptr(int32(70000))}
		}, []string{"apiVersion", "metadata.name", "spec.model.path", "spec.model.sha256", "spec.sourceNode", "spec.objective", "spec.gateway.port"}},
		{"two node fields", func(m *DistributedModel) { m.Spec.SourceNode.NodeID = "abc" }, []string{"spec.sourceNode"}},
		{"relative token file", func(m *DistributedModel) { m.Spec.Gateway = &GatewaySpec{TokenFile: "token"} }, []string{"spec.gateway.tokenFile"}},
		{"absolute token file", func(m *DistributedModel) { m.Spec.Gateway = &GatewaySpec{TokenFile: "/etc/papdl/token"} }, nil},
		{"no input", func(m *DistributedModel) { m.Spec.Input = InputSpec{} }, []string{"spec.input"}},
		{"shape disagrees with size", func(m *DistributedModel) { m.Spec.Input.Shape = []int64{1, 3, 224, 225} }, []string{"spec.input.size"}},
		{"batch vs shape", func(m *DistributedModel) {
			m.Spec.Input = InputSpec{Shape: []int64{1, 3, 224, 224}}
			m.Spec.BatchSize = ptr(int32(2))
		}, []string{"spec.input.shape[0]"}},
		{"size not a batch multiple", func(m *DistributedModel) { m.Spec.BatchSize = ptr(int32(5)) }, []string{"spec.input.size"}},
		{"bad constraints", func(m *DistributedModel) {
			m.Spec.Constraints = &PlacementConstraints{
				Pins: []UnitPin{
					{Units: UnitRange{Start: ptr(int32(0)), End: ptr(int32(4))}, Node: NodeReference{Hostname: "vm1"}},
					{Units: UnitRange{Start: ptr(int32(3)), End: ptr(int32(5))}, Node: NodeReference{Hostname: "vm2"}},
					{Units: UnitRange{Start: ptr(int32(5)), End: ptr(int32(5)), First: "x"}, Node: NodeReference{Hostname: "vm2"}},
				},
				Avoid:        []UnitAvoidance{{Units: &UnitRange{Start: ptr(int32(2))}}},
				NodeSelector: map[string]string{"bad key!": "v"},
			}
		}, []string{"spec.constraints.pins[1].units", "spec.constraints.pins[2].units", "spec.constraints.avoid[0].units.end",
			"spec.constraints.avoid[0].nodes", "spec.constraints.nodeSelector[bad key!]"}},
		{"tolerance above 1", func(m *DistributedModel) {
			m.Spec.Placement = &PlacementSettings{Tolerance: ptr(1.5)}
		}, []string{"spec.placement.tolerance"}},
		{"negative tolerance", func(m *DistributedModel) {
			m.Spec.Placement = &PlacementSettings{Tolerance: ptr(-0.01)}
		}, []string{"spec.placement.tolerance"}},
		{"NaN tolerance", func(m *DistributedModel) {
			m.Spec.Placement = &PlacementSettings{Tolerance: ptr(math.NaN())}
		}, []string{"spec.placement.tolerance"}},
		{"tolerance bounds are valid", func(m *DistributedModel) {
			m.Spec.Placement = &PlacementSettings{Tolerance: ptr(1.0)}
		}, nil},
		{"bad headroom and benchmark", func(m *DistributedModel) {
			m.Spec.MemoryHeadroom = &MemoryHeadroom{Bytes: ptr("lots"), Percent: ptr(int32(95))}
			m.Spec.Benchmark = &BenchmarkSettings{Repeats: ptr(int32(0)), Warmup: ptr(int32(-1)), MaxAge: &Duration{}}
		}, []string{"spec.memoryHeadroom.bytes", "spec.memoryHeadroom.percent", "spec.benchmark.repeats",
			"spec.benchmark.warmup", "spec.benchmark.maxAge"}},
		{"unbounded benchmark", func(m *DistributedModel) {
			m.Spec.Benchmark = &BenchmarkSettings{Repeats: ptr(int32(2000000000)), Warmup: ptr(int32(101))}
		}, []string{"spec.benchmark.repeats", "spec.benchmark.warmup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validModel()
			tt.mutate(m)
			errs := m.Validate()
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			for _, f := range tt.fields {
				if !slices.Contains(got, f) {
					t.Errorf("missing a problem at %s; got %v", f, errs.ToAggregate())
				}
			}
			if tt.fields == nil && len(errs) > 0 {
				t.Errorf("unexpected problems: %v", errs.ToAggregate())
			}
			m.Default()
			if again := m.Validate(); len(again) < len(tt.fields) {
				t.Errorf("defaulting hid problems: %v", again.ToAggregate())
			}
		})
	}
}

func TestConditions(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	var conds []Condition
	if !SetCondition(&conds, Condition{Type: ConditionReady, Status: ConditionFalse, Reason: ReasonProgressing}, t0) {
		t.Fatal("adding a condition must report a change")
	}
	if IsTrue(conds, ConditionReady) || !IsFalse(conds, ConditionReady) {
		t.Fatal("Ready should be False")
	}
	if !SetCondition(&conds, Condition{Type: ConditionReady, Status: ConditionFalse, Reason: ReasonDeployFailed, Message: "x"}, t1) {
		t.Error("a new reason is a change")
	}
	if got := FindCondition(conds, ConditionReady).LastTransitionTime; !got.Equal(t0) {
		t.Errorf("same status must keep the transition time, got %v", got)
	}
	if SetCondition(&conds, Condition{Type: ConditionReady, Status: ConditionFalse, Reason: ReasonDeployFailed, Message: "x"}, t1) {
		t.Error("an identical condition is no change")
	}
	SetCondition(&conds, Condition{Type: ConditionReady, Status: ConditionTrue, Reason: ReasonServing}, t1)
	if c := FindCondition(conds, ConditionReady); !c.LastTransitionTime.Equal(t1) || !IsTrue(conds, ConditionReady) {
		t.Errorf("status change must move the transition time: %+v", c)
	}
	if FindCondition(conds, ConditionStalled) != nil || !RemoveCondition(&conds, ConditionReady) || len(conds) != 0 {
		t.Error("find/remove misbehave")
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1048576", 1 << 20, false}, {"64Mi", 64 << 20, false}, {"1.5Gi", 3 << 29, false},
		{"2G", 2e9, false}, {"512k", 512e3, false}, {"0", 0, false},
		{"-1Mi", 0, true}, {"lots", 0, true}, {"Mi", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBytes(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseBytes(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
	if s := FormatBytes(102 << 20); !strings.HasPrefix(s, "102.0 MiB") {
		t.Errorf("FormatBytes = %q", s)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"vgg16", true},
		{"a", true},
		{"a-b-9", true},
		{strings.Repeat("a", 63), true},
		{"", false},
		{".", false},
		{"..", false},
		{"../../x", false},
		{"a/b", false},
		{"-a", false},
		{"a-", false},
		{"A", false},
		{"a.b", false},
		{"a_b", false},
		{"a\x00b", false},
		{"a\nb", false},
		{strings.Repeat("a", 64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateName(tt.name); (err == nil) != tt.ok {
				t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}
