package jsonpath

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Execute writes the template evaluated over data (a value decoded from
// JSON: maps, slices, strings, float64, bool, nil). A path that selects
// nothing prints nothing; several values are separated by spaces.
func (t *Template) Execute(w io.Writer, data any) error {
	var sb strings.Builder
	if err := execNodes(&sb, t.nodes, data); err != nil {
		return err
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// ExecuteValue is Execute over any value marshalable to JSON.
func (t *Template) ExecuteValue(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("jsonpath: encode: %w", err)
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return fmt.Errorf("jsonpath: decode: %w", err)
	}
	return t.Execute(w, data)
}

func execNodes(sb *strings.Builder, nodes []node, data any) error {
	for _, n := range nodes {
		switch n := n.(type) {
		case textNode:
			sb.WriteString(string(n))
		case exprNode:
			for i, v := range n.eval(data) {
				if i > 0 {
					sb.WriteByte(' ')
				}
				if err := writeValue(sb, v); err != nil {
					return err
				}
			}
		case rangeNode:
			for _, v := range n.expr.eval(data) {
				items := []any{v}
				if list, ok := v.([]any); ok && !n.expr.spreads() {
					items = list
				}
				for _, it := range items {
					if err := execNodes(sb, n.body, it); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// spreads reports a path that already yields each element ([*], filters):
// a range over it iterates its results, not their elements.
func (e exprNode) spreads() bool {
	for _, s := range e {
		if s.all || s.filter != nil {
			return true
		}
	}
	return false
}

func writeValue(sb *strings.Builder, v any) error {
	switch v := v.(type) {
	case string:
		sb.WriteString(v)
		return nil
	case nil:
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("jsonpath: encode: %w", err)
	}
	sb.Write(b)
	return nil
}

// eval returns every value the path selects in data.
func (e exprNode) eval(data any) []any {
	cur := []any{data}
	for _, s := range e {
		var next []any
		for _, v := range cur {
			next = append(next, s.apply(v)...)
		}
		cur = next
	}
	return cur
}

func (s step) apply(v any) []any {
	switch {
	case s.field != "":
		if m, ok := v.(map[string]any); ok {
			if x, ok := m[s.field]; ok {
				return []any{x}
			}
		}
	case s.index != nil:
		if l, ok := v.([]any); ok {
			i := *s.index
			if i < 0 {
				i += len(l)
			}
			if i >= 0 && i < len(l) {
				return []any{l[i]}
			}
		}
	case s.all:
		return elements(v)
	case s.filter != nil:
		var out []any
		for _, it := range elements(v) {
			if s.filter.matches(it) {
				out = append(out, it)
			}
		}
		return out
	}
	return nil
}

// elements are a list's items or a map's values (by key order).
func elements(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = v[k]
		}
		return out
	}
	return nil
}

func (f *filter) matches(item any) bool {
	var got []string
	for _, v := range f.path.eval(item) {
		var sb strings.Builder
		_ = writeValue(&sb, v)
		got = append(got, sb.String())
	}
	eq := len(got) > 0 && got[0] == f.value
	if f.op == "!=" {
		return len(got) > 0 && !eq
	}
	return eq
}
