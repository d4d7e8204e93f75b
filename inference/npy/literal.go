package npy

import (
	"fmt"
	"math"
)

// litKind is the type of a parsed Python literal.
type litKind int

const (
	litString litKind = iota
	litInt
	litBool
	litNone
	litTuple
	litList
	litDict
)

var litKindNames = [...]string{"string", "int", "bool", "None", "tuple", "list", "dict"}

func (k litKind) String() string { return litKindNames[k] }

// literal is one value of the Python literal subset .npy headers use:
// strings, ints, True/False/None, tuples, lists and dicts.
type literal struct {
	kind  litKind
	str   string    // litString
	num   int64     // litInt
	b     bool      // litBool
	items []literal // litTuple, litList; dict values
	keys  []literal // litDict keys, parallel to items
	start int       // offset of the first byte in the parsed text
	end   int       // offset after the last byte
}

// maxLiteralDepth bounds nesting so that hostile headers cannot exhaust the
// stack.
const maxLiteralDepth = 32

// literalParser parses a Python literal from text. Offsets in errors are
// reported relative to base, the position of text in the file.
type literalParser struct {
	text []byte
	pos  int
	base int
	// longSuffix accepts Python 2's "3L" integers (format 1.0 and 2.0
	// headers written by Python 2, which numpy still reads).
	longSuffix bool
}

func (p *literalParser) errorf(pos int, format string, args ...any) error {
	return fmt.Errorf("npy: header byte offset %d: %s", p.base+pos, fmt.Sprintf(format, args...))
}

// parseLiteral parses the whole text as one literal surrounded by optional
// whitespace.
func parseLiteral(text []byte, base int, longSuffix bool) (literal, error) {
	p := &literalParser{text: text, base: base, longSuffix: longSuffix}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return literal{}, err
	}
	p.skipSpace()
	if p.pos != len(p.text) {
		return literal{}, p.errorf(p.pos, "unexpected %s after the header dict", p.describe(p.pos))
	}
	return v, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func (p *literalParser) skipSpace() {
	for p.pos < len(p.text) && isSpace(p.text[p.pos]) {
		p.pos++
	}
}

// describe names the byte at pos for an error message.
func (p *literalParser) describe(pos int) string {
	if pos >= len(p.text) {
		return "end of header"
	}
	return fmt.Sprintf("%q", p.text[pos])
}

func (p *literalParser) value(depth int) (literal, error) {
	if depth > maxLiteralDepth {
		return literal{}, p.errorf(p.pos, "nesting deeper than %d", maxLiteralDepth)
	}
	if p.pos >= len(p.text) {
		return literal{}, p.errorf(p.pos, "expected a value, found end of header")
	}
	switch c := p.text[p.pos]; {
	case c == '\'' || c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.int()
	case c == '(':
		return p.sequence(depth, litTuple, ')')
	case c == '[':
		return p.sequence(depth, litList, ']')
	case c == '{':
		return p.dict(depth)
	case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
		return p.name()
	default:
		return literal{}, p.errorf(p.pos, "expected a value, found %s", p.describe(p.pos))
	}
}

func (p *literalParser) string() (literal, error) {
	start := p.pos
	quote := p.text[p.pos]
	p.pos++
	for p.pos < len(p.text) {
		switch c := p.text[p.pos]; c {
		case quote:
			p.pos++
			return literal{kind: litString, str: string(p.text[start+1 : p.pos-1]), start: start, end: p.pos}, nil
		case '\\':
			return literal{}, p.errorf(p.pos, "escape sequences in strings are not supported")
		case '\n', '\r':
			return literal{}, p.errorf(p.pos, "newline in string starting at byte offset %d", p.base+start)
		}
		p.pos++
	}
	return literal{}, p.errorf(start, "unterminated string")
}

func (p *literalParser) int() (literal, error) {
	start := p.pos
	neg := false
	if p.text[p.pos] == '-' {
		neg = true
		p.pos++
	}
	digits := p.pos
	var n uint64
	for p.pos < len(p.text) && p.text[p.pos] >= '0' && p.text[p.pos] <= '9' {
		d := uint64(p.text[p.pos] - '0')
		if n > (math.MaxInt64-d)/10 {
			return literal{}, p.errorf(start, "integer does not fit in 64 bits")
		}
		n = n*10 + d
		p.pos++
	}
	switch {
	case p.pos == digits:
		return literal{}, p.errorf(p.pos, "expected a digit, found %s", p.describe(p.pos))
	case p.text[digits] == '0' && n != 0:
		// Python 3 rejects leading zeros ("007") as a syntax error.
		return literal{}, p.errorf(digits, "integer with a leading zero")
	}
	if p.longSuffix && p.pos < len(p.text) && p.text[p.pos] == 'L' {
		p.pos++
	}
	if p.pos < len(p.text) {
		if c := p.text[p.pos]; c == '_' || c == '.' || c|0x20 >= 'a' && c|0x20 <= 'z' {
			return literal{}, p.errorf(p.pos, "malformed integer: unexpected %s", p.describe(p.pos))
		}
	}
	v := int64(n)
	if neg {
		v = -v
	}
	return literal{kind: litInt, num: v, start: start, end: p.pos}, nil
}

func (p *literalParser) name() (literal, error) {
	start := p.pos
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		if c != '_' && !(c|0x20 >= 'a' && c|0x20 <= 'z') && !(c >= '0' && c <= '9') {
			break
		}
		p.pos++
	}
	switch word := string(p.text[start:p.pos]); word {
	case "True", "False":
		return literal{kind: litBool, b: word == "True", start: start, end: p.pos}, nil
	case "None":
		return literal{kind: litNone, start: start, end: p.pos}, nil
	default:
		return literal{}, p.errorf(start, "unexpected name %q", word)
	}
}

// sequence parses a tuple or a list. A parenthesised single value without a
// comma is a parenthesised expression in Python, not a tuple.
func (p *literalParser) sequence(depth int, kind litKind, closer byte) (literal, error) {
	start := p.pos
	p.pos++
	var items []literal
	sawComma := false
	for {
		p.skipSpace()
		if p.pos < len(p.text) && p.text[p.pos] == closer {
			p.pos++
			break
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return literal{}, err
		}
		items = append(items, v)
		p.skipSpace()
		if p.pos < len(p.text) && p.text[p.pos] == ',' {
			p.pos++
			sawComma = true
			continue
		}
		if p.pos < len(p.text) && p.text[p.pos] == closer {
			p.pos++
			break
		}
		return literal{}, p.errorf(p.pos, "expected ',' or %q in %s starting at byte offset %d, found %s",
			closer, kind, p.base+start, p.describe(p.pos))
	}
	if kind == litTuple && len(items) == 1 && !sawComma {
		v := items[0]
		v.start, v.end = start, p.pos
		return v, nil
	}
	return literal{kind: kind, items: items, start: start, end: p.pos}, nil
}

func (p *literalParser) dict(depth int) (literal, error) {
	start := p.pos
	p.pos++
	d := literal{kind: litDict, start: start}
	for {
		p.skipSpace()
		if p.pos < len(p.text) && p.text[p.pos] == '}' {
			p.pos++
			break
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return literal{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.text) || p.text[p.pos] != ':' {
			return literal{}, p.errorf(p.pos, "expected ':' after dict key, found %s", p.describe(p.pos))
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return literal{}, err
		}
		d.keys = append(d.keys, k)
		d.items = append(d.items, v)
		p.skipSpace()
		if p.pos < len(p.text) && p.text[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.text) && p.text[p.pos] == '}' {
			p.pos++
			break
		}
		return literal{}, p.errorf(p.pos, "expected ',' or '}' in dict starting at byte offset %d, found %s",
			p.base+start, p.describe(p.pos))
	}
	d.end = p.pos
	return d, nil
}
