package npy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// goldenEntry is one file described by testdata/golden.json, written by
// hack/npy-golden.py.
type goldenEntry struct {
	File        string `json:"file"`
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	Values      []any  `json:"values"` // json.Number, bool or a float's repr
	EncodeExact bool   `json:"encode_exact"`
	Note        string `json:"note"`
}

func loadGolden(t *testing.T) []goldenEntry {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatalf("reading the golden manifest (regenerate with /usr/bin/python3 hack/npy-golden.py): %v", err)
	}
	var m struct {
		Files []goldenEntry `json:"files"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("golden.json: %v", err)
	}
	if len(m.Files) < 50 {
		t.Fatalf("golden.json lists %d files, want the full set", len(m.Files))
	}
	return m.Files
}

// expected builds the tensor a golden entry describes.
func (e goldenEntry) expected() (*tensor.Tensor, error) {
	dt, err := tensor.ParseDType(e.DType)
	if err != nil {
		return nil, err
	}
	want := tensor.New(dt, e.Shape...)
	if n := want.Len(); n != len(e.Values) {
		return nil, fmt.Errorf("%d values for shape %v", len(e.Values), e.Shape)
	}
	for i, v := range e.Values {
		if err := setValue(want, i, v); err != nil {
			return nil, fmt.Errorf("value %d (%v): %w", i, v, err)
		}
	}
	return want, nil
}

func setValue(t *tensor.Tensor, i int, v any) error {
	if b, ok := v.(bool); ok {
		t.Data.([]bool)[i] = b
		return nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	var err error
	switch d := t.Data.(type) {
	case []float32:
		var f float64
		f, err = strconv.ParseFloat(s, 64)
		d[i] = float32(f)
		if err == nil && !math.IsInf(f, 0) && float64(d[i]) != f && !math.IsNaN(f) {
			err = fmt.Errorf("%s is not a float32", s)
		}
	case []float64:
		d[i], err = strconv.ParseFloat(s, 64)
	case []uint16: // float16 bit patterns and uint16
		var u uint64
		u, err = strconv.ParseUint(s, 10, 16)
		d[i] = uint16(u)
	case []int8:
		var n int64
		n, err = strconv.ParseInt(s, 10, 8)
		d[i] = int8(n)
	case []int16:
		var n int64
		n, err = strconv.ParseInt(s, 10, 16)
		d[i] = int16(n)
	case []int32:
		var n int64
		n, err = strconv.ParseInt(s, 10, 32)
		d[i] = int32(n)
	case []int64:
		d[i], err = strconv.ParseInt(s, 10, 64)
	case []uint8:
		var u uint64
		u, err = strconv.ParseUint(s, 10, 8)
		d[i] = uint8(u)
	case []uint32:
		var u uint64
		u, err = strconv.ParseUint(s, 10, 32)
		d[i] = uint32(u)
	case []uint64:
		d[i], err = strconv.ParseUint(s, 10, 64)
	default:
		err = fmt.Errorf("unexpected data %T", t.Data)
	}
	return err
}

func TestGolden(t *testing.T) {
	exact := 0
	for _, e := range loadGolden(t) {
		t.Run(e.File, func(t *testing.T) {
			want, err := e.expected()
			if err != nil {
				t.Fatalf("golden.json entry: %v", err)
			}
			file, err := os.ReadFile(filepath.Join("testdata", "golden", e.File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeBytes(file)
			if err != nil {
				t.Fatalf("DecodeBytes: %v", err)
			}
			if d := diffTensors(want, got); d != "" {
				t.Errorf("DecodeBytes (%s): %s", e.Note, d)
			}
			got2, err := Read(bytes.NewReader(file), int64(len(file)))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if d := diffTensors(want, got2); d != "" {
				t.Errorf("Read (%s): %s", e.Note, d)
			}
			enc, err := EncodeBytes(got)
			if err != nil {
				t.Fatalf("EncodeBytes: %v", err)
			}
			if e.EncodeExact {
				if !bytes.Equal(enc, file) {
					t.Errorf("EncodeBytes differs from numpy.save:\n got %q\nwant %q", enc, file)
				}
				var buf bytes.Buffer
				if err := Encode(&buf, got); err != nil || !bytes.Equal(buf.Bytes(), file) {
					t.Errorf("Encode = %q, %v; want numpy.save's bytes", buf.Bytes(), err)
				}
				return
			}
			back, err := DecodeBytes(enc)
			if err != nil {
				t.Fatalf("decoding the re-encoded file: %v", err)
			}
			if d := diffTensors(want, back); d != "" {
				t.Errorf("re-encoded: %s", d)
			}
		})
		if e.EncodeExact {
			exact++
		}
	}
	if exact < 12*5 {
		t.Errorf("only %d files are checked byte for byte, want every dtype in every shape", exact)
	}
}
