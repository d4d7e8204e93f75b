package strict

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/papdl/papdl/apis/field"
	"sigs.k8s.io/yaml"
)

// Document is one document of a YAML stream.
type Document struct {
	// Index is the 1-based position of the document in the stream.
	Index int
	// Line is the 1-based line on which the document's content starts.
	Line int
	// Data is the document's raw YAML.
	Data []byte
}

// SplitDocuments splits a YAML stream on "---" separator lines. Documents
// holding nothing but blanks and comments are dropped; indexes count only
// the kept documents.
func SplitDocuments(data []byte) []Document {
	var docs []Document
	var cur bytes.Buffer
	start, line := 1, 0
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, Document{Index: len(docs) + 1, Line: start, Data: bytes.Clone(cur.Bytes())})
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		line++
		text := sc.Text()
		if isSeparator(text) {
			flush()
			start = line + 1
			continue
		}
		if text == "..." {
			continue
		}
		cur.WriteString(text)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

func isSeparator(line string) bool {
	if !strings.HasPrefix(line, "---") {
		return false
	}
	rest := line[3:]
	return rest == "" || rest[0] == ' ' || rest[0] == '\t'
}

func hasContent(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// Decode converts one YAML or JSON document to JSON (rejecting duplicate
// keys), checks it against the shape of out and, only if no problem was
// found, decodes it into out (a non-nil pointer). Shape problems are
// returned as a *field.AggregateError listing every unknown field and
// mistyped value; syntax errors are wrapped as they come.
func Decode(data []byte, out any) error {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decode target must be a non-nil pointer, got %T", out)
	}
	var errs field.ErrorList
	check(generic, rv.Type().Elem(), nil, &errs)
	if err := errs.ToAggregate(); err != nil {
		return err
	}
	if err := json.Unmarshal(js, out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// check walks the generic JSON value v against type t, appending problems.
func check(v any, t reflect.Type, p *field.Path, errs *field.ErrorList) {
	if v == nil {
		return // null leaves the zero value, as encoding/json does
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		raw, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw)
		}
		if err != nil {
			*errs = append(*errs, field.TypeInvalid(p, shortValue(v), err.Error()))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		check(v, t.Elem(), p, errs)
	case reflect.Interface:
		// anything goes
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "object"))
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				*errs = append(*errs, field.Unknown(p.Child(k), suggest(k, fields)))
				continue
			}
			check(m[k], ft, p.Child(k), errs)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "object"))
			return
		}
		for _, k := range sortedKeys(m) {
			check(m[k], t.Elem(), p.Key(k), errs)
		}
	case reflect.Slice, reflect.Array:
		if s, ok := v.(string); ok && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			// encoding/json writes a []byte as a base64 string.
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				*errs = append(*errs, field.TypeInvalid(p, shortValue(v), "expected base64 data: "+err.Error()))
			}
			return
		}
		a, ok := v.([]any)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "list"))
			return
		}
		if t.Kind() == reflect.Array && len(a) > t.Len() {
			*errs = append(*errs, field.Invalid(p, len(a), fmt.Sprintf("at most %d elements", t.Len())))
		}
		for i, e := range a {
			check(e, t.Elem(), p.Index(i), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			*errs = append(*errs, mismatch(p, v, "string"))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			*errs = append(*errs, mismatch(p, v, "boolean"))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "integer"))
			return
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			*errs = append(*errs, field.TypeInvalid(p, n.String(), fmt.Sprintf("expected a %d-bit integer", t.Bits())))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "non-negative integer"))
			return
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); err != nil {
			*errs = append(*errs, field.TypeInvalid(p, n.String(), fmt.Sprintf("expected a %d-bit non-negative integer", t.Bits())))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			*errs = append(*errs, mismatch(p, v, "number"))
			return
		}
		if _, err := strconv.ParseFloat(n.String(), t.Bits()); err != nil {
			*errs = append(*errs, field.TypeInvalid(p, n.String(), "expected a number"))
		}
	default:
		*errs = append(*errs, field.TypeInvalid(p, nil, "unsupported field type "+t.String()))
	}
}

func mismatch(p *field.Path, v any, want string) *field.Error {
	return field.TypeInvalid(p, shortValue(v), fmt.Sprintf("expected %s, got %s", want, kindOf(v)))
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// shortValue keeps scalars and summarises containers for error messages.
func shortValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	case json.Number:
		return x.String()
	default:
		return v
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest names a known field differing only in case, if any.
func suggest(k string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf("did you mean %q?", name)
		}
	}
	return ""
}

// jsonFields maps the JSON names of t's fields to their types, flattening
// embedded structs without a name in their tag as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, dup := out[k]; !dup {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
