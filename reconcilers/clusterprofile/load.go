package clusterprofile

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/papdl/papdl/apis/field"
	"github.com/papdl/papdl/apis/strict"
)

// LoadFile reads, strictly decodes and validates a profile (JSON or YAML).
func LoadFile(path string) (*ClusterProfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Decode strictly decodes and validates a profile.
func Decode(data []byte) (*ClusterProfile, error) {
	p := &ClusterProfile{}
	if err := strict.Decode(data, p); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	if err := p.Validate().ToAggregate(); err != nil {
		return nil, fmt.Errorf("invalid profile: %w", err)
	}
	return p, nil
}

// WriteFile writes the profile as indented JSON after validating it.
func WriteFile(path string, p *ClusterProfile) error {
	data, err := Encode(p)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// Encode validates a profile and returns it as indented JSON.
func Encode(p *ClusterProfile) ([]byte, error) {
	if err := p.Validate().ToAggregate(); err != nil {
		return nil, fmt.Errorf("invalid profile: %w", err)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	return append(data, '\n'), nil
}

// Validate reports every problem with the profile, each naming its field.
func (p *ClusterProfile) Validate() field.ErrorList {
	var errs field.ErrorList
	if p.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), p.APIVersion, []string{APIVersion}))
	}
	if p.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), p.Kind, []string{Kind}))
	}
	up := field.NewPath("units")
	if p.Units.Time != TimeUnit {
		errs = append(errs, field.NotSupported(up.Child("time"), p.Units.Time, []string{TimeUnit}))
	}
	if p.Units.Memory != MemoryUnit {
		errs = append(errs, field.NotSupported(up.Child("memory"), p.Units.Memory, []string{MemoryUnit}))
	}
	if p.Units.Bandwidth != BandwidthUnit {
		errs = append(errs, field.NotSupported(up.Child("bandwidth"), p.Units.Bandwidth, []string{BandwidthUnit}))
	}
	errs = append(errs, p.validateModel(field.NewPath("model"))...)
	errs = append(errs, p.validateNodes(field.NewPath("nodes"))...)
	errs = append(errs, p.validateLinks(field.NewPath("links"))...)
	if h := p.HopOverheadSeconds; h != nil && (bad(*h) || *h < 0) {
		errs = append(errs, field.Invalid(field.NewPath("hopOverheadSeconds"), *h, "must be a finite, non-negative number of seconds"))
	}
	return errs
}

func (p *ClusterProfile) validateModel(mp *field.Path) field.ErrorList {
	var errs field.ErrorList
	m := &p.Model
	if m.InputElements != nil && *m.InputElements < 1 {
		errs = append(errs, field.Invalid(mp.Child("inputElements"), *m.InputElements, "must be positive"))
	}
	errs = appendBytes(errs, mp.Child("inputBytes"), m.InputBytes, true)
	errs = appendBytes(errs, mp.Child("outputBytes"), m.OutputBytes, true)
	if len(m.Units) == 0 {
		errs = append(errs, field.Required(mp.Child("units"), "at least one unit"))
	}
	seen := map[string]int{}
	for i, u := range m.Units {
		p := mp.Child("units").Index(i)
		if u.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		} else if j, dup := seen[u.Name]; dup {
			errs = append(errs, field.Duplicate(p.Child("name"), fmt.Sprintf("%s (also units[%d])", u.Name, j)))
		} else {
			seen[u.Name] = i
		}
		errs = appendBytes(errs, p.Child("weightBytes"), u.WeightBytes, true)
		errs = appendBytes(errs, p.Child("outputBytes"), u.OutputBytes, true)
		errs = appendBytes(errs, p.Child("cutBytes"), u.CutBytes, true)
		if u.CutBytes < u.OutputBytes && i < len(m.Units)-1 {
			errs = append(errs, field.Invalid(p.Child("cutBytes"), u.CutBytes,
				fmt.Sprintf("less than the unit's own outputBytes %d, which crosses the cut", u.OutputBytes)))
		}
		if i == len(m.Units)-1 && u.CutBytes != m.OutputBytes {
			errs = append(errs, field.Invalid(p.Child("cutBytes"), u.CutBytes,
				fmt.Sprintf("the last unit's cutBytes must equal model.outputBytes %d", m.OutputBytes)))
		}
	}
	return errs
}

func (p *ClusterProfile) validateNodes(np *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(p.Nodes) == 0 {
		errs = append(errs, field.Required(np, "at least one node"))
	}
	ids, hosts := map[string]int{}, map[string]int{}
	for i, n := range p.Nodes {
		p1 := np.Index(i)
		if n.ID == "" {
			errs = append(errs, field.Required(p1.Child("id"), ""))
		} else if j, dup := ids[n.ID]; dup {
			errs = append(errs, field.Duplicate(p1.Child("id"), fmt.Sprintf("%s (also nodes[%d])", n.ID, j)))
		} else {
			ids[n.ID] = i
		}
		if n.Hostname == "" {
			errs = append(errs, field.Required(p1.Child("hostname"), ""))
		} else if j, dup := hosts[n.Hostname]; dup {
			errs = append(errs, field.Duplicate(p1.Child("hostname"), fmt.Sprintf("%s (also nodes[%d])", n.Hostname, j)))
		} else {
			hosts[n.Hostname] = i
		}
		if n.CPUs < 1 {
			errs = append(errs, field.Invalid(p1.Child("cpus"), n.CPUs, "must be at least 1"))
		}
		errs = appendBytes(errs, p1.Child("memoryBytes"), n.MemoryBytes, false)
		errs = appendBytes(errs, p1.Child("freeMemoryBytes"), n.FreeMemoryBytes, false)
		if x := n.Noise; x != nil && (bad(*x) || *x < 0) {
			errs = append(errs, field.Invalid(p1.Child("noise"), *x, "must be a finite, non-negative fraction"))
		}
		if n.FreeMemoryBytes > n.MemoryBytes {
			errs = append(errs, field.Invalid(p1.Child("freeMemoryBytes"), n.FreeMemoryBytes,
				fmt.Sprintf("exceeds memoryBytes %d", n.MemoryBytes)))
		}
		if len(n.Units) != len(p.Model.Units) {
			errs = append(errs, field.Invalid(p1.Child("units"), len(n.Units),
				fmt.Sprintf("need one measurement per model unit (%d)", len(p.Model.Units))))
		}
		for j, m := range n.Units {
			up := p1.Child("units").Index(j)
			if m.Name != "" && j < len(p.Model.Units) && m.Name != p.Model.Units[j].Name {
				errs = append(errs, field.Invalid(up.Child("name"), m.Name,
					fmt.Sprintf("measurement out of order: model unit %d is %q", j, p.Model.Units[j].Name)))
			}
			if bad(m.Seconds) || m.Seconds < 0 {
				errs = append(errs, field.Invalid(up.Child("seconds"), m.Seconds, "must be a finite, non-negative number of seconds"))
			}
			errs = appendBytes(errs, up.Child("memoryBytes"), m.MemoryBytes, true)
			if j < len(p.Model.Units) && m.MemoryBytes > 0 && m.MemoryBytes < p.Model.Units[j].WeightBytes {
				errs = append(errs, field.Invalid(up.Child("memoryBytes"), m.MemoryBytes,
					fmt.Sprintf("below the unit's weightBytes %d: peak memory includes the weights", p.Model.Units[j].WeightBytes)))
			}
		}
	}
	return errs
}

func (p *ClusterProfile) validateLinks(lp *field.Path) field.ErrorList {
	var errs field.ErrorList
	ids := map[string]bool{}
	for _, n := range p.Nodes {
		ids[n.ID] = true
	}
	type pair struct{ from, to string }
	seen := map[pair]int{}
	for i, l := range p.Links {
		p1 := lp.Index(i)
		if !ids[l.From] {
			errs = append(errs, field.Invalid(p1.Child("from"), l.From, "not a node ID of this profile"))
		}
		if !ids[l.To] {
			errs = append(errs, field.Invalid(p1.Child("to"), l.To, "not a node ID of this profile"))
		}
		if l.From == l.To {
			errs = append(errs, field.Invalid(p1.Child("to"), l.To, "a link joins two distinct nodes"))
		}
		if j, dup := seen[pair{l.From, l.To}]; dup {
			errs = append(errs, field.Duplicate(p1, fmt.Sprintf("%s -> %s (also links[%d])", l.From, l.To, j)))
		}
		seen[pair{l.From, l.To}] = i
		if bad(l.RTTSeconds) || l.RTTSeconds < 0 {
			errs = append(errs, field.Invalid(p1.Child("rttSeconds"), l.RTTSeconds, "must be a finite, non-negative number of seconds"))
		}
		if bad(l.BandwidthBytesPerSecond) || l.BandwidthBytesPerSecond <= 0 {
			errs = append(errs, field.Invalid(p1.Child("bandwidthBytesPerSecond"), l.BandwidthBytesPerSecond,
				"must be a finite, positive number of bytes per second"))
		}
	}
	for _, a := range p.Nodes {
		for _, b := range p.Nodes {
			if a.ID == "" || b.ID == "" || a.ID == b.ID {
				continue
			}
			if _, ok := seen[pair{a.ID, b.ID}]; !ok {
				errs = append(errs, field.Required(lp, fmt.Sprintf("no measurement from %s to %s", a.ID, b.ID)))
			}
		}
	}
	return errs
}

func appendBytes(errs field.ErrorList, p *field.Path, v int64, zeroOK bool) field.ErrorList {
	if v < 0 || (!zeroOK && v == 0) {
		want := "positive"
		if zeroOK {
			want = "non-negative"
		}
		errs = append(errs, field.Invalid(p, v, "must be a "+want+" number of bytes"))
	}
	return errs
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
