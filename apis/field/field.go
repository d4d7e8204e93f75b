package field

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is an immutable path to a field, built from the root outwards.
// The nil *Path is the root and is valid to extend.
type Path struct {
	parent *Path
	// name is the field name, or "" for an index or key step.
	name string
	// index is the rendered "[3]" or "[key]" step, or "".
	index string
}

// NewPath returns the path of a top-level field and optional children.
func NewPath(name string, more ...string) *Path {
	return (*Path)(nil).Child(name, more...)
}

// Child returns the path of a named child field.
func (p *Path) Child(name string, more ...string) *Path {
	c := &Path{parent: p, name: name}
	for _, m := range more {
		c = &Path{parent: c, name: m}
	}
	return c
}

// Index returns the path of the i-th element of a list.
func (p *Path) Index(i int) *Path {
	return &Path{parent: p, index: "[" + strconv.Itoa(i) + "]"}
}

// Key returns the path of the entry k of a map.
func (p *Path) Key(k string) *Path {
	return &Path{parent: p, index: "[" + k + "]"}
}

// String renders the path as a.b[0].c; the root renders as "<root>".
func (p *Path) String() string {
	if p == nil {
		return "<root>"
	}
	var steps []*Path
	for q := p; q != nil; q = q.parent {
		steps = append(steps, q)
	}
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.index != "" {
			b.WriteString(s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}

// ErrorType classifies a field error.
type ErrorType string

// The kinds of field errors.
const (
	// ErrorTypeRequired: a required field is missing or empty.
	ErrorTypeRequired ErrorType = "Required value"
	// ErrorTypeInvalid: the value is malformed or out of range.
	ErrorTypeInvalid ErrorType = "Invalid value"
	// ErrorTypeNotSupported: the value is not one of the allowed values.
	ErrorTypeNotSupported ErrorType = "Unsupported value"
	// ErrorTypeDuplicate: the value repeats one that must be unique.
	ErrorTypeDuplicate ErrorType = "Duplicate value"
	// ErrorTypeForbidden: the field may not be set in this context.
	ErrorTypeForbidden ErrorType = "Forbidden"
	// ErrorTypeTypeInvalid: the value has the wrong type (string for a number…).
	ErrorTypeTypeInvalid ErrorType = "Invalid type"
	// ErrorTypeUnknown: the field does not exist in the schema.
	ErrorTypeUnknown ErrorType = "Unknown field"
)

// Error is one problem with one field.
type Error struct {
	// Type classifies the problem.
	Type ErrorType
	// Field is the rendered path of the offending field.
	Field string
	// BadValue is the offending value, or nil when it is not meaningful.
	BadValue any
	// Detail explains the problem in words.
	Detail string
}

// Error renders "path: type: value: detail".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(string(e.Type))
	if e.BadValue != nil && e.Type != ErrorTypeRequired && e.Type != ErrorTypeUnknown {
		switch v := e.BadValue.(type) {
		case string:
			fmt.Fprintf(&b, ": %q", v)
		default:
			fmt.Fprintf(&b, ": %v", v)
		}
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Required reports a missing field.
func Required(p *Path, detail string) *Error {
	return &Error{Type: ErrorTypeRequired, Field: p.String(), Detail: detail}
}

// Invalid reports a malformed or out-of-range value.
func Invalid(p *Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeInvalid, Field: p.String(), BadValue: value, Detail: detail}
}

// NotSupported reports a value outside an enumeration.
func NotSupported[T ~string](p *Path, value T, valid []T) *Error {
	q := make([]string, len(valid))
	for i, v := range valid {
		q[i] = strconv.Quote(string(v))
	}
	return &Error{Type: ErrorTypeNotSupported, Field: p.String(), BadValue: string(value),
		Detail: "supported values: " + strings.Join(q, ", ")}
}

// Duplicate reports a value that repeats an earlier one.
func Duplicate(p *Path, value any) *Error {
	return &Error{Type: ErrorTypeDuplicate, Field: p.String(), BadValue: value}
}

// Forbidden reports a field that may not be set.
func Forbidden(p *Path, detail string) *Error {
	return &Error{Type: ErrorTypeForbidden, Field: p.String(), Detail: detail}
}

// TypeInvalid reports a value of the wrong type.
func TypeInvalid(p *Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeTypeInvalid, Field: p.String(), BadValue: value, Detail: detail}
}

// Unknown reports a field that the schema does not have.
func Unknown(p *Path, detail string) *Error {
	return &Error{Type: ErrorTypeUnknown, Field: p.String(), Detail: detail}
}

// ErrorList is a list of field errors; a nil list means no problem.
type ErrorList []*Error

// ToAggregate returns nil for an empty list, or an *AggregateError.
func (l ErrorList) ToAggregate() error {
	if len(l) == 0 {
		return nil
	}
	return &AggregateError{Errors: l}
}

// AggregateError carries several field errors as one error.
type AggregateError struct {
	// Errors holds every problem, in the order found.
	Errors ErrorList
}

// Error joins the messages with "; ".
func (a *AggregateError) Error() string {
	if len(a.Errors) == 1 {
		return a.Errors[0].Error()
	}
	msgs := make([]string, len(a.Errors))
	for i, e := range a.Errors {
		msgs[i] = e.Error()
	}
	return fmt.Sprintf("%d problems: %s", len(a.Errors), strings.Join(msgs, "; "))
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (a *AggregateError) Unwrap() []error {
	out := make([]error, len(a.Errors))
	for i, e := range a.Errors {
		out[i] = e
	}
	return out
}
