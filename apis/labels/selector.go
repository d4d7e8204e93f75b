package labels

import (
	"fmt"
	"slices"
	"strings"
)

// Operator is how a requirement compares a label.
type Operator string

// The operators of a requirement.
const (
	Equals       Operator = "="
	NotEquals    Operator = "!="
	In           Operator = "in"
	NotIn        Operator = "notin"
	Exists       Operator = "exists"
	DoesNotExist Operator = "!"
)

// Requirement is one comma-separated term of a selector.
type Requirement struct {
	Key      string
	Operator Operator
	// Values are the values compared with (one for = and !=, none for
	// exists and !), sorted.
	Values []string
}

// Matches reports whether labels satisfy the requirement.
func (r Requirement) Matches(labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case Equals, In:
		return has && slices.Contains(r.Values, v)
	case NotEquals, NotIn:
		return !has || !slices.Contains(r.Values, v)
	case Exists:
		return has
	case DoesNotExist:
		return !has
	}
	return false
}

// String renders the requirement in selector syntax.
func (r Requirement) String() string {
	switch r.Operator {
	case Exists:
		return r.Key
	case DoesNotExist:
		return "!" + r.Key
	case In, NotIn:
		return fmt.Sprintf("%s %s (%s)", r.Key, r.Operator, strings.Join(r.Values, ","))
	}
	return r.Key + string(r.Operator) + strings.Join(r.Values, "")
}

// Selector is a conjunction of requirements; the empty selector matches
// everything.
type Selector []Requirement

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	for _, r := range s {
		if !r.Matches(labels) {
			return false
		}
	}
	return true
}

// Empty reports a selector that selects everything.
func (s Selector) Empty() bool { return len(s) == 0 }

// String renders the selector in the syntax Parse reads.
func (s Selector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}
