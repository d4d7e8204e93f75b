package v1alpha1

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/papdl/papdl/apis/field"
)

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	labelName  = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// Limits enforced by validation.
const (
	MaxBatchSize       = 65536
	MaxHeadroomPercent = 90
	// A benchmark runs every unit warmup+repeats times on every node:
	// bounded so that no spec can keep the cluster busy for days.
	MaxBenchmarkRepeats = 1000
	MaxBenchmarkWarmup  = 100
	// MaxNameLength bounds metadata.name: a DNS-1123 label.
	MaxNameLength = 63
)

// nameRule says what a valid object name is, for messages.
const nameRule = "must be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"

// ValidateName reports whether name is a DNS-1123 label: 1 to 63 characters
// from [a-z0-9-], starting and ending with a letter or digit. Only such names
// may become file, service or network names ("..", "a/b" and "" never do).
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("name is empty: %s", nameRule)
	}
	if len(name) > MaxNameLength || !dnsLabel.MatchString(name) {
		return fmt.Errorf("name %q %s", truncateForMessage(name), nameRule)
	}
	return nil
}

// truncateForMessage keeps an untrusted string short enough to quote.
func truncateForMessage(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// Validate reports every problem with the object, each naming its field.
// It does not touch the file system; see VerifyModelFile for that.
// Unset optional fields are accepted, so it may run before or after Default.
func (m *DistributedModel) Validate() field.ErrorList {
	var errs field.ErrorList
	if m.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), m.APIVersion, []string{APIVersion}))
	}
	if m.Kind != KindDistributedModel {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), m.Kind, []string{KindDistributedModel}))
	}
	errs = append(errs, validateMeta(&m.ObjectMeta, field.NewPath("metadata"))...)
	errs = append(errs, m.Spec.Validate(field.NewPath("spec"))...)
	return errs
}

func validateMeta(meta *ObjectMeta, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case meta.Name == "":
		errs = append(errs, field.Required(p.Child("name"), ""))
	case ValidateName(meta.Name) != nil:
		errs = append(errs, field.Invalid(p.Child("name"), meta.Name, nameRule))
	}
	errs = append(errs, validateLabels(meta.Labels, p.Child("labels"), true)...)
	errs = append(errs, validateLabels(meta.Annotations, p.Child("annotations"), false)...)
	if meta.Generation < 0 {
		errs = append(errs, field.Invalid(p.Child("generation"), meta.Generation, "must not be negative"))
	}
	return errs
}

// validateLabels checks keys ("prefix/name") and, for labels, values.
func validateLabels(labels map[string]string, p *field.Path, checkValues bool) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		name := k
		if prefix, n, ok := strings.Cut(k, "/"); ok {
			name = n
			if prefix == "" || len(prefix) > 253 || strings.Contains(n, "/") {
				errs = append(errs, field.Invalid(p.Key(k), k, "key prefix must be a DNS subdomain"))
				continue
			}
		}
		if len(name) == 0 || len(name) > 63 || !labelName.MatchString(name) {
			errs = append(errs, field.Invalid(p.Key(k), k,
				"key name must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumerically"))
		}
		if v := labels[k]; checkValues && (len(v) > 63 || !labelValue.MatchString(v)) {
			errs = append(errs, field.Invalid(p.Key(k), v,
				"value must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumerically"))
		}
	}
	return errs
}

// Validate reports every problem with the spec under path p.
func (s *DistributedModelSpec) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	mp := p.Child("model")
	if strings.TrimSpace(s.Model.Path) == "" {
		errs = append(errs, field.Required(mp.Child("path"), "the ONNX file to serve"))
	}
	if s.Model.SHA256 != "" && !sha256Hex.MatchString(s.Model.SHA256) {
		errs = append(errs, field.Invalid(mp.Child("sha256"), s.Model.SHA256, "must be 64 hexadecimal digits"))
	}
	errs = append(errs, validateNodeRef(s.SourceNode, p.Child("sourceNode"))...)
	errs = append(errs, s.validateInput(p)...)
	if s.Objective != "" && !slices.Contains(Objectives(), s.Objective) {
		errs = append(errs, field.NotSupported(p.Child("objective"), s.Objective, Objectives()))
	}
	if s.Constraints != nil {
		errs = append(errs, s.Constraints.validate(p.Child("constraints"))...)
	}
	if pl := s.Placement; pl != nil && pl.Tolerance != nil {
		if t := *pl.Tolerance; math.IsNaN(t) || t < 0 || t > 1 {
			errs = append(errs, field.Invalid(p.Child("placement", "tolerance"), t,
				"must be a fraction between 0 and 1 (0.05 = 5%)"))
		}
	}
	if h := s.MemoryHeadroom; h != nil {
		hp := p.Child("memoryHeadroom")
		if h.Bytes != nil {
			if _, err := ParseBytes(*h.Bytes); err != nil {
				errs = append(errs, field.Invalid(hp.Child("bytes"), *h.Bytes, err.Error()))
			}
		}
		if h.Percent != nil && (*h.Percent < 0 || *h.Percent > MaxHeadroomPercent) {
			errs = append(errs, field.Invalid(hp.Child("percent"), *h.Percent,
				fmt.Sprintf("must be between 0 and %d", MaxHeadroomPercent)))
		}
	}
	if b := s.Benchmark; b != nil {
		bp := p.Child("benchmark")
		if b.Repeats != nil && (*b.Repeats < 1 || *b.Repeats > MaxBenchmarkRepeats) {
			errs = append(errs, field.Invalid(bp.Child("repeats"), *b.Repeats, fmt.Sprintf("must be between 1 and %d", MaxBenchmarkRepeats)))
		}
		if b.Warmup != nil && (*b.Warmup < 0 || *b.Warmup > MaxBenchmarkWarmup) {
			errs = append(errs, field.Invalid(bp.Child("warmup"), *b.Warmup, fmt.Sprintf("must be between 0 and %d", MaxBenchmarkWarmup)))
		}
		if b.MaxAge != nil && b.MaxAge.Duration <= 0 {
			errs = append(errs, field.Invalid(bp.Child("maxAge"), b.MaxAge.Duration.String(), "must be positive"))
		}
	}
	if g := s.Gateway; g != nil && g.Port != nil && (*g.Port < 1 || *g.Port > 65535) {
		errs = append(errs, field.Invalid(p.Child("gateway", "port"), *g.Port, "must be between 1 and 65535"))
	}
	if g := s.Gateway; g != nil && g.TokenFile != "" && !filepath.IsAbs(g.TokenFile) {
		errs = append(errs, field.Invalid(p.Child("gateway", "tokenFile"), g.TokenFile, "must be an absolute path"))
	}
	return errs
}

func (s *DistributedModelSpec) validateInput(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ip := p.Child("input")
	in := s.Input
	if in.Size == nil && len(in.Shape) == 0 {
		errs = append(errs, field.Required(ip, "set size (element count, e.g. 150528 for 224*224*3) or shape"))
	}
	if in.Size != nil && *in.Size < 1 {
		errs = append(errs, field.Invalid(ip.Child("size"), *in.Size, "must be positive"))
	}
	shapeOK := len(in.Shape) > 0
	for i, d := range in.Shape {
		if d < 1 {
			errs = append(errs, field.Invalid(ip.Child("shape").Index(i), d, "dimensions must be positive"))
			shapeOK = false
		}
	}
	if shapeOK && in.Size != nil && *in.Size > 0 {
		n := int64(1)
		for _, d := range in.Shape {
			n *= d
		}
		if n != *in.Size {
			errs = append(errs, field.Invalid(ip.Child("size"), *in.Size,
				fmt.Sprintf("disagrees with shape %v, which holds %d elements", in.Shape, n)))
		}
	}
	if s.BatchSize != nil {
		b := int64(*s.BatchSize)
		switch {
		case b < 1 || b > MaxBatchSize:
			errs = append(errs, field.Invalid(p.Child("batchSize"), b, fmt.Sprintf("must be between 1 and %d", MaxBatchSize)))
		case shapeOK && in.Shape[0] != b:
			errs = append(errs, field.Invalid(ip.Child("shape").Index(0), in.Shape[0],
				fmt.Sprintf("batch dimension must equal batchSize %d", b)))
		case in.Size != nil && *in.Size > 0 && *in.Size%b != 0:
			errs = append(errs, field.Invalid(ip.Child("size"), *in.Size,
				fmt.Sprintf("must be a multiple of batchSize %d", b)))
		}
	}
	return errs
}

func (c *PlacementConstraints) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	type span struct {
		start, end int32
		node       string
		i          int
	}
	var spans []span
	for i, pin := range c.Pins {
		pp := p.Child("pins").Index(i)
		errs = append(errs, validateRange(pin.Units, pp.Child("units"))...)
		errs = append(errs, validateNodeRef(pin.Node, pp.Child("node"))...)
		u := pin.Units
		if u.Start != nil && u.End != nil && *u.Start < *u.End {
			spans = append(spans, span{*u.Start, *u.End, pin.Node.String(), i})
		}
	}
	for a := range spans {
		for b := a + 1; b < len(spans); b++ {
			x, y := spans[a], spans[b]
			if x.start < y.end && y.start < x.end && x.node != y.node {
				errs = append(errs, field.Invalid(p.Child("pins").Index(y.i).Child("units"),
					fmt.Sprintf("[%d,%d)", y.start, y.end),
					fmt.Sprintf("overlaps pins[%d] which pins [%d,%d) to %s", x.i, x.start, x.end, x.node)))
			}
		}
	}
	for i, av := range c.Avoid {
		ap := p.Child("avoid").Index(i)
		if av.Units != nil {
			errs = append(errs, validateRange(*av.Units, ap.Child("units"))...)
		}
		if len(av.Nodes) == 0 {
			errs = append(errs, field.Required(ap.Child("nodes"), "at least one node"))
		}
		for j, n := range av.Nodes {
			errs = append(errs, validateNodeRef(n, ap.Child("nodes").Index(j))...)
		}
	}
	errs = append(errs, validateLabels(c.NodeSelector, p.Child("nodeSelector"), true)...)
	return errs
}

func validateRange(r UnitRange, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	byIndex := r.Start != nil || r.End != nil
	byName := r.First != "" || r.Last != ""
	switch {
	case byIndex && byName:
		errs = append(errs, field.Forbidden(p, "give either start/end or first/last, not both"))
	case byIndex:
		if r.Start == nil {
			errs = append(errs, field.Required(p.Child("start"), ""))
		} else if *r.Start < 0 {
			errs = append(errs, field.Invalid(p.Child("start"), *r.Start, "must not be negative"))
		}
		if r.End == nil {
			errs = append(errs, field.Required(p.Child("end"), "one past the last unit"))
		} else if r.Start != nil && *r.End <= *r.Start {
			errs = append(errs, field.Invalid(p.Child("end"), *r.End, fmt.Sprintf("must be greater than start %d", *r.Start)))
		}
	case byName:
		if r.First == "" {
			errs = append(errs, field.Required(p.Child("first"), "the first unit's name"))
		}
	default:
		errs = append(errs, field.Required(p, "start/end (indexes, end exclusive) or first/last (names)"))
	}
	return errs
}

func validateNodeRef(r NodeReference, p *field.Path) field.ErrorList {
	set := 0
	for _, b := range []bool{r.NodeID != "", r.Hostname != "", len(r.Selector) > 0} {
		if b {
			set++
		}
	}
	switch set {
	case 0:
		return field.ErrorList{field.Required(p, "one of nodeID, hostname or selector")}
	case 1:
		return validateLabels(r.Selector, p.Child("selector"), true)
	default:
		return field.ErrorList{field.Forbidden(p, "set exactly one of nodeID, hostname or selector")}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
