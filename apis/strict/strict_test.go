package strict

import (
	"bytes"
	"strings"
	"testing"
)

type inner struct {
	Name string `json:"name"`
}

type doc struct {
	Count  int               `json:"count"`
	Ratio  float64           `json:"ratio,omitempty"`
	On     bool              `json:"enabled,omitempty"`
	Data   []byte            `json:"data,omitempty"`
	Items  []inner           `json:"items,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Pair   [2]int            `json:"pair,omitempty"`
}

// TestDecode: what decodes (as encoding/json would, []byte from base64
// included) and what fails, naming the field.
func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// wantErr is a part of the error; "" means success.
		wantErr string
		check   func(t *testing.T, d doc)
	}{
		{name: "plain", in: "count: 3\nratio: 0.5\nenabled: true\nitems:\n- name: a\nlabels: {k: v}\n", check: func(t *testing.T, d doc) {
			if d.Count != 3 || d.Ratio != 0.5 || !d.On || len(d.Items) != 1 || d.Items[0].Name != "a" || d.Labels["k"] != "v" {
				t.Errorf("decoded %+v", d)
			}
		}},
		{name: "bytes from base64", in: "count: 1\ndata: aGVsbG8=\n", check: func(t *testing.T, d doc) {
			if !bytes.Equal(d.Data, []byte("hello")) {
				t.Errorf("data %q, want hello", d.Data)
			}
		}},
		{name: "bytes not base64", in: "count: 1\ndata: '%%%'\n", wantErr: "data"},
		{name: "unknown field", in: "count: 1\ncuont: 2\n", wantErr: "cuont"},
		{name: "mistyped", in: "count: many\n", wantErr: "count"},
		{name: "nested unknown", in: "items:\n- nmae: a\n", wantErr: "items[0].nmae"},
		{name: "duplicate key", in: "count: 1\ncount: 2\n", wantErr: "count"},
		{name: "array too long", in: "pair: [1, 2, 3]\n", wantErr: "pair"},
		{name: "integer overflow", in: "count: 99999999999999999999\n", wantErr: "count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(tc.in), &d)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				tc.check(t, d)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Decode error %v, want one naming %q", err, tc.wantErr)
			}
		})
	}
}

// TestDecodeTopLevelList: a document may be a list (a nodes file).
func TestDecodeTopLevelList(t *testing.T) {
	var items []inner
	if err := Decode([]byte("- name: a\n- name: b\n"), &items); err != nil || len(items) != 2 || items[1].Name != "b" {
		t.Fatalf("Decode = %+v, %v", items, err)
	}
	if err := Decode([]byte("- name: a\n- color: b\n"), &items); err == nil || !strings.Contains(err.Error(), "[1].color") {
		t.Fatalf("Decode of an unknown field in item 1: %v", err)
	}
}
