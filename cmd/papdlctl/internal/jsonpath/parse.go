package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// node is one piece of a template.
type node interface{}

type textNode string

type exprNode []step

type rangeNode struct {
	expr exprNode
	body []node
}

// step is one segment of a path.
type step struct {
	field  string // .field
	index  *int   // [N]
	all    bool   // [*] or .*
	filter *filter
}

// filter is [?(@.path OP "value")].
type filter struct {
	path  exprNode
	op    string // == or !=
	value string
}

// Template is a parsed template.
type Template struct{ nodes []node }

// Parse reads a template; a template without braces is one expression
// (".metadata.name" means "{.metadata.name}").
func Parse(tmpl string) (*Template, error) {
	if !strings.Contains(tmpl, "{") {
		tmpl = "{" + tmpl + "}"
	}
	nodes, rest, err := parseNodes(tmpl, false)
	if err != nil {
		return nil, fmt.Errorf("jsonpath %q: %w", tmpl, err)
	}
	if rest != "" {
		return nil, fmt.Errorf("jsonpath %q: {end} without {range}", tmpl)
	}
	return &Template{nodes: nodes}, nil
}

// parseNodes reads nodes up to the end of s or, inside a range, its {end}.
func parseNodes(s string, inRange bool) ([]node, string, error) {
	var out []node
	for s != "" {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			out = append(out, textNode(s))
			return out, "", endCheck(inRange)
		}
		if open > 0 {
			out = append(out, textNode(s[:open]))
		}
		close := closing(s, open)
		if close < 0 {
			return nil, "", fmt.Errorf("unclosed {")
		}
		block := strings.TrimSpace(s[open+1 : close])
		s = s[close+1:]
		switch {
		case block == "end":
			if !inRange {
				return out, "{end}", nil
			}
			return out, s, nil
		case strings.HasPrefix(block, "range "):
			expr, err := parseExpr(strings.TrimSpace(strings.TrimPrefix(block, "range ")))
			if err != nil {
				return nil, "", err
			}
			body, rest, err := parseNodes(s, true)
			if err != nil {
				return nil, "", err
			}
			out = append(out, rangeNode{expr: expr, body: body})
			s = rest
		case strings.HasPrefix(block, `"`):
			lit, err := strconv.Unquote(block)
			if err != nil {
				return nil, "", fmt.Errorf("string literal %s: %w", block, err)
			}
			out = append(out, textNode(lit))
		default:
			expr, err := parseExpr(block)
			if err != nil {
				return nil, "", err
			}
			out = append(out, expr)
		}
	}
	return out, "", endCheck(inRange)
}

func endCheck(inRange bool) error {
	if inRange {
		return fmt.Errorf("{range} without {end}")
	}
	return nil
}

// closing finds the } that closes the { at open, skipping quoted strings.
func closing(s string, open int) int {
	quoted := false
	for i := open + 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == '}' && !quoted:
			return i
		}
	}
	return -1
}

// parseExpr reads a path: an optional $ or @, then .field, .*, [N], [*]
// and [?(...)] segments.
func parseExpr(s string) (exprNode, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), "@")
	var steps exprNode
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			name := s[:end]
			s = s[end:]
			switch name {
			case "":
				if s == "" {
					continue // "." alone is the document
				}
				return nil, fmt.Errorf("path %q: empty field name (recursive descent is not supported)", orig)
			case "*":
				steps = append(steps, step{all: true})
			default:
				steps = append(steps, step{field: name})
			}
		case '[':
			end := matchingBracket(s)
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", orig)
			}
			st, err := parseBracket(s[1:end])
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", orig, err)
			}
			steps = append(steps, st)
			s = s[end+1:]
		default:
			return nil, fmt.Errorf("path %q: want .field or [...] at %q", orig, s)
		}
	}
	return steps, nil
}

func matchingBracket(s string) int {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '"' || s[i] == '\'':
			quoted = !quoted
		case s[i] == ']' && !quoted:
			return i
		}
	}
	return -1
}

func parseBracket(in string) (step, error) {
	in = strings.TrimSpace(in)
	switch {
	case in == "*":
		return step{all: true}, nil
	case strings.HasPrefix(in, "?(") && strings.HasSuffix(in, ")"):
		cond := in[2 : len(in)-1]
		for _, op := range []string{"==", "!="} {
			lhs, rhs, ok := strings.Cut(cond, op)
			if !ok {
				continue
			}
			path, err := parseExpr(strings.TrimSpace(lhs))
			if err != nil {
				return step{}, err
			}
			rhs = strings.TrimSpace(rhs)
			if len(rhs) >= 2 && (rhs[0] == '\'' || rhs[0] == '"') && rhs[len(rhs)-1] == rhs[0] {
				rhs = rhs[1 : len(rhs)-1]
			}
			return step{filter: &filter{path: path, op: op, value: rhs}}, nil
		}
		return step{}, fmt.Errorf("filter %q: want ?(@.path==\"value\") or !=", in)
	case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
		return step{field: in[1 : len(in)-1]}, nil
	}
	n, err := strconv.Atoi(in)
	if err != nil {
		return step{}, fmt.Errorf("[%s]: want an index, *, 'field' or ?(filter)", in)
	}
	return step{index: &n}, nil
}
