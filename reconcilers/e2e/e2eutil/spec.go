package e2eutil

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Spec is a DistributedModel manifest as the tests write it, with fast
// benchmark settings (2 repeats, 1 warm-up) unless Repeats and Warmup say
// otherwise.
type Spec struct {
	Name        string
	ModelPath   string // spec.model.path
	SourceHost  string // spec.sourceNode.hostname
	InputShape  []int64
	GatewayPort int
	Objective   string // "" leaves the default
	Pins        []Pin
	// AvoidLabels keeps every unit off the nodes carrying all these labels
	// (one spec.constraints.avoid entry; none when empty).
	AvoidLabels map[string]string
	// Repeats and Warmup are spec.benchmark's (0: 2 and 1). A test that
	// compares predictions with what is served needs the defaults' 10 and 2:
	// two runs after one warm-up time a cold program.
	Repeats, Warmup int
}

// Pin is one spec.constraints.pins entry: units [Start, End) on Host.
type Pin struct {
	Start, End int
	Host       string
}

// YAML renders the manifest.
func (s Spec) YAML() string {
	dims := make([]string, len(s.InputShape))
	for i, d := range s.InputShape {
		dims[i] = strconv.FormatInt(d, 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: papdl.io/v1alpha1
kind: DistributedModel
metadata: {name: %s}
spec:
  model: {path: %s}
  sourceNode: {hostname: %s}
  input: {shape: [%s]}
  benchmark: {repeats: %d, warmup: %d}
  gateway: {port: %d}
`, s.Name, s.ModelPath, s.SourceHost, strings.Join(dims, ", "), cmp.Or(s.Repeats, 2), cmp.Or(s.Warmup, 1), s.GatewayPort)
	if s.Objective != "" {
		fmt.Fprintf(&b, "  objective: %s\n", s.Objective)
	}
	if len(s.Pins) > 0 || len(s.AvoidLabels) > 0 {
		b.WriteString("  constraints:\n")
	}
	if len(s.Pins) > 0 {
		b.WriteString("    pins:\n")
		for _, p := range s.Pins {
			fmt.Fprintf(&b, "    - {units: {start: %d, end: %d}, node: {hostname: %s}}\n", p.Start, p.End, p.Host)
		}
	}
	if len(s.AvoidLabels) > 0 {
		labels := make([]string, 0, len(s.AvoidLabels))
		for _, k := range slices.Sorted(maps.Keys(s.AvoidLabels)) {
			labels = append(labels, k+": "+s.AvoidLabels[k])
		}
		fmt.Fprintf(&b, "    avoid:\n    - nodes: [{selector: {%s}}]\n", strings.Join(labels, ", "))
	}
	return b.String()
}
