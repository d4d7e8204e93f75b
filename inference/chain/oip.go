package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/papdl/papdl/inference/tensor"
)

// Open Inference Protocol (KServe v2) request and response bodies.

type oipTensor struct {
	Name       string                     `json:"name"`
	Shape      []int64                    `json:"shape"`
	Datatype   string                     `json:"datatype"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage            `json:"data,omitempty"`
}

type oipRequested struct {
	Name       string                     `json:"name"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
}

type oipRequest struct {
	ID         string                     `json:"id,omitempty"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Inputs     []oipTensor                `json:"inputs"`
	Outputs    []oipRequested             `json:"outputs,omitempty"`
}

type oipOutput struct {
	Name       string          `json:"name"`
	Shape      []int           `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

type oipResponse struct {
	ModelName string      `json:"model_name"`
	ID        string      `json:"id,omitempty"`
	Outputs   []oipOutput `json:"outputs"`
}

type oipMeta struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

type oipModelMeta struct {
	Name     string    `json:"name"`
	Versions []string  `json:"versions,omitempty"`
	Platform string    `json:"platform"`
	Inputs   []oipMeta `json:"inputs"`
	Outputs  []oipMeta `json:"outputs"`
}

// oipTypes maps the protocol's datatype names to tensor types.
func oipTypes() map[string]tensor.DType {
	return map[string]tensor.DType{
		"BOOL": tensor.Bool, "UINT8": tensor.Uint8, "UINT16": tensor.Uint16, "UINT32": tensor.Uint32,
		"UINT64": tensor.Uint64, "INT8": tensor.Int8, "INT16": tensor.Int16, "INT32": tensor.Int32,
		"INT64": tensor.Int64, "FP16": tensor.Float16, "FP32": tensor.Float32, "FP64": tensor.Float64,
	}
}

func oipTypeName(dt tensor.DType) string {
	for n, d := range oipTypes() {
		if d == dt {
			return n
		}
	}
	return "BYTES"
}

// boolParam reads a boolean parameter (absent: false).
func boolParam(params map[string]json.RawMessage, name string) (bool, error) {
	raw, ok := params[name]
	if !ok {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("parameter %q: %w", name, err)
	}
	return b, nil
}

// decodeInput builds the tensor of one request input from its JSON data or
// from the next binary_data_size bytes of binary.
func decodeInput(in oipTensor, binary []byte) (*tensor.Tensor, []byte, error) {
	dt, ok := oipTypes()[in.Datatype]
	if !ok {
		return nil, binary, fmt.Errorf("input %q: unsupported datatype %q", in.Name, in.Datatype)
	}
	shape := make([]int, len(in.Shape))
	n := int64(1)
	for i, d := range in.Shape {
		if d < 0 || d > math.MaxInt32 {
			return nil, binary, fmt.Errorf("input %q: dimension %d at axis %d", in.Name, d, i)
		}
		shape[i] = int(d)
		n *= d
		if n > math.MaxInt32 {
			return nil, binary, fmt.Errorf("input %q: shape %v is too large", in.Name, in.Shape)
		}
	}
	if raw, ok := in.Parameters["binary_data_size"]; ok {
		var size int64
		if err := json.Unmarshal(raw, &size); err != nil || size < 0 {
			return nil, binary, fmt.Errorf("input %q: bad binary_data_size %s", in.Name, raw)
		}
		if size > int64(len(binary)) {
			return nil, binary, fmt.Errorf("input %q: binary_data_size %d but only %d binary bytes remain", in.Name, size, len(binary))
		}
		t, err := tensor.FromRawBytes(dt, shape, binary[:size])
		if err != nil {
			return nil, binary, fmt.Errorf("input %q: %w", in.Name, err)
		}
		return t, binary[size:], nil
	}
	if len(in.Data) == 0 {
		return nil, binary, fmt.Errorf("input %q: no data and no binary_data_size", in.Name)
	}
	t, err := parseJSONData(dt, shape, in.Data)
	if err != nil {
		return nil, binary, fmt.Errorf("input %q: %w", in.Name, err)
	}
	return t, binary, nil
}

// parseJSONData reads a (possibly nested) JSON array of numbers or booleans
// in row-major order.
func parseJSONData(dt tensor.DType, shape []int, data []byte) (*tensor.Tensor, error) {
	if dt == tensor.Float16 {
		return nil, fmt.Errorf("FP16 data must be sent with the binary data extension")
	}
	t := tensor.New(dt, shape...)
	want := t.Len()
	i := 0
	for pos := 0; pos < len(data); {
		c := data[pos]
		switch {
		case c == '[' || c == ']' || c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r':
			pos++
			continue
		}
		end := pos
		for end < len(data) && data[end] != ',' && data[end] != ']' && data[end] != ' ' && data[end] != '\n' && data[end] != '\r' && data[end] != '\t' {
			end++
		}
		tok := string(data[pos:end])
		if i >= want {
			return nil, fmt.Errorf("data has more than the %d elements of shape %v", want, shape)
		}
		if err := setElement(t, i, tok); err != nil {
			return nil, fmt.Errorf("data element %d: %w", i, err)
		}
		i++
		pos = end
	}
	if i != want {
		return nil, fmt.Errorf("data has %d elements, shape %v needs %d", i, shape, want)
	}
	return t, nil
}

func setElement(t *tensor.Tensor, i int, tok string) error {
	var err error
	switch d := t.Data.(type) {
	case []float32:
		var v float64
		v, err = strconv.ParseFloat(tok, 32)
		d[i] = float32(v)
	case []float64:
		d[i], err = strconv.ParseFloat(tok, 64)
	case []int8:
		err = parseIntInto(d, i, tok, 8)
	case []int16:
		err = parseIntInto(d, i, tok, 16)
	case []int32:
		err = parseIntInto(d, i, tok, 32)
	case []int64:
		err = parseIntInto(d, i, tok, 64)
	case []uint8:
		err = parseUintInto(d, i, tok, 8)
	case []uint16:
		err = parseUintInto(d, i, tok, 16)
	case []uint32:
		err = parseUintInto(d, i, tok, 32)
	case []uint64:
		err = parseUintInto(d, i, tok, 64)
	case []bool:
		switch tok {
		case "true":
			d[i] = true
		case "false":
			d[i] = false
		default:
			err = fmt.Errorf("%q is not a boolean", tok)
		}
	default:
		err = fmt.Errorf("unsupported element type %s", t.DType)
	}
	if err != nil {
		return fmt.Errorf("%q: %w", tok, err)
	}
	return nil
}

// appendJSONData writes t's elements as a flat JSON array. Non-finite
// floats, which JSON cannot represent, are written as null.
func appendJSONData(b []byte, t *tensor.Tensor) ([]byte, error) {
	b = append(b, '[')
	sep := func(i int) {
		if i > 0 {
			b = append(b, ',')
		}
	}
	flt := func(v float64, bits int) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			return
		}
		b = strconv.AppendFloat(b, v, 'g', -1, bits)
	}
	switch d := t.Data.(type) {
	case []float32:
		for i, v := range d {
			sep(i)
			flt(float64(v), 32)
		}
	case []float64:
		for i, v := range d {
			sep(i)
			flt(v, 64)
		}
	case []bool:
		for i, v := range d {
			sep(i)
			b = strconv.AppendBool(b, v)
		}
	default:
		if t.DType == tensor.Float16 {
			return nil, fmt.Errorf("FP16 outputs need the binary data extension")
		}
		raw, err := json.Marshal(t.Data)
		if err != nil {
			return nil, err
		}
		if _, ok := t.Data.([]uint8); ok { // json encodes []byte as base64
			raw = raw[:0]
			raw = append(raw, '[')
			for i, v := range d.([]uint8) {
				if i > 0 {
					raw = append(raw, ',')
				}
				raw = strconv.AppendUint(raw, uint64(v), 10)
			}
			raw = append(raw, ']')
		}
		return append(b[:len(b)-1], raw...), nil
	}
	return append(b, ']'), nil
}

// splitBinary separates the JSON header from the binary tail when the
// Inference-Header-Content-Length header is present.
func splitBinary(body []byte, headerLen string) ([]byte, []byte, error) {
	if headerLen == "" {
		return body, nil, nil
	}
	n, err := strconv.Atoi(headerLen)
	if err != nil || n < 0 || n > len(body) {
		return nil, nil, fmt.Errorf("Inference-Header-Content-Length %q does not fit a %d-byte body", headerLen, len(body))
	}
	return body[:n], body[n:], nil
}

func decodeStrictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON object")
	}
	return nil
}

// parseIntInto parses a signed integer of the given bit size into d[i].
func parseIntInto[T int8 | int16 | int32 | int64](d []T, i int, tok string, bits int) error {
	v, err := strconv.ParseInt(tok, 10, bits)
	d[i] = T(v)
	return err
}

// parseUintInto parses an unsigned integer of the given bit size into d[i].
func parseUintInto[T uint8 | uint16 | uint32 | uint64](d []T, i int, tok string, bits int) error {
	v, err := strconv.ParseUint(tok, 10, bits)
	d[i] = T(v)
	return err
}
