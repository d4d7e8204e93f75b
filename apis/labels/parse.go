package labels

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// keyPattern is a label key: an optional DNS-subdomain prefix and a name;
// valuePattern a label value (possibly empty).
var (
	keyPattern   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	valuePattern = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

// Parse reads a selector: comma-separated requirements, each one of
// key=value, key==value, key!=value, key in (v1,v2), key notin (v1,v2),
// key, or !key. The empty string selects everything.
func Parse(s string) (Selector, error) {
	var sel Selector
	for _, term := range splitTerms(s) {
		term = strings.TrimSpace(term)
		if term == "" {
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			return nil, fmt.Errorf("selector %q: empty requirement", s)
		}
		r, err := parseRequirement(term)
		if err != nil {
			return nil, fmt.Errorf("selector %q: %w", s, err)
		}
		sel = append(sel, r)
	}
	return sel, nil
}

// splitTerms splits at the commas outside parentheses.
func splitTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseRequirement(term string) (Requirement, error) {
	if k, ok := strings.CutPrefix(term, "!"); ok {
		return requirement(strings.TrimSpace(k), DoesNotExist, nil)
	}
	for _, op := range []struct {
		token string
		op    Operator
	}{{"!=", NotEquals}, {"==", Equals}, {"=", Equals}} {
		if k, v, ok := strings.Cut(term, op.token); ok {
			return requirement(strings.TrimSpace(k), op.op, []string{strings.TrimSpace(v)})
		}
	}
	if open := strings.Index(term, "("); open >= 0 {
		head := strings.Fields(term[:open])
		if len(head) != 2 || !strings.HasSuffix(term, ")") {
			return Requirement{}, fmt.Errorf("%q: want KEY in (V1,V2) or KEY notin (V1,V2)", term)
		}
		op := Operator(head[1])
		if op != In && op != NotIn {
			return Requirement{}, fmt.Errorf("%q: unknown operator %q (in or notin)", term, head[1])
		}
		var values []string
		for _, v := range strings.Split(term[open+1:len(term)-1], ",") {
			values = append(values, strings.TrimSpace(v))
		}
		return requirement(head[0], op, values)
	}
	if len(strings.Fields(term)) != 1 {
		return Requirement{}, fmt.Errorf("%q: want KEY=VALUE, KEY!=VALUE, KEY in (...), KEY notin (...), KEY or !KEY", term)
	}
	return requirement(term, Exists, nil)
}

func requirement(key string, op Operator, values []string) (Requirement, error) {
	if !keyPattern.MatchString(key) || len(key) > 253+1+63 {
		return Requirement{}, fmt.Errorf("invalid label key %q", key)
	}
	for _, v := range values {
		if len(v) > 63 || !valuePattern.MatchString(v) {
			return Requirement{}, fmt.Errorf("invalid label value %q for key %q", v, key)
		}
	}
	sort.Strings(values)
	return Requirement{Key: key, Operator: op, Values: values}, nil
}
