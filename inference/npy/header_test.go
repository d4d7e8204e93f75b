package npy

import (
	"slices"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		long      bool
		dtype     tensor.DType
		bigEndian bool
		fortran   bool
		shape     []int
		bytes     int64
	}{
		{"numpy style", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }      \n",
			false, tensor.Float32, false, false, []int{1, 3, 224, 224}, 4 * 3 * 224 * 224},
		{"keys in another order, no trailing comma", `{"shape": (3,), "fortran_order": True, "descr": ">i2"}`,
			false, tensor.Int16, true, true, []int{3}, 6},
		{"scalar", "{'descr':'|b1','fortran_order':False,'shape':()}", false, tensor.Bool, false, false, []int{}, 1},
		{"zero dim", "{'descr': '<u8', 'fortran_order': False, 'shape': (4, 0), }", false, tensor.Uint64, false, false, []int{4, 0}, 0},
		{"big-endian one-byte type is not swapped", "{'descr': '>u1', 'fortran_order': False, 'shape': (2,)}",
			false, tensor.Uint8, false, false, []int{2}, 2},
		{"native order", "{'descr': '=f8', 'fortran_order': False, 'shape': (2,)}", false, tensor.Float64, false, false, []int{2}, 16},
		{"no order character", "{'descr': 'f2', 'fortran_order': False, 'shape': (2,)}", false, tensor.Float16, false, false, []int{2}, 4},
		{"python 2 longs", "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }", true, tensor.Int64, false, false, []int{2, 3}, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader([]byte(tt.in), 10, tt.long)
			if err != nil {
				t.Fatalf("parseHeader(%q): %v", tt.in, err)
			}
			if h.dtype != tt.dtype || h.bigEndian != tt.bigEndian || h.fortran != tt.fortran ||
				!slices.Equal(h.shape, tt.shape) || h.dataBytes != tt.bytes {
				t.Errorf("parseHeader(%q) = %s big-endian=%v fortran=%v shape=%v bytes=%d, want %s %v %v %v %d",
					tt.in, h.dtype, h.bigEndian, h.fortran, h.shape, h.dataBytes,
					tt.dtype, tt.bigEndian, tt.fortran, tt.shape, tt.bytes)
			}
		})
	}
}

func TestParseHeaderErrors(t *testing.T) {
	const ok = "'fortran_order': False, 'shape': (3,)"
	tests := []struct {
		name, in, wantErr string
	}{
		{"not a dict", "('<f4', False, (3,))", "npy: header at byte offset 10 is a tuple, not a dict"},
		{"missing shape", "{'descr': '<f4', 'fortran_order': False}", `has no "shape" key`},
		{"missing descr", "{" + ok + "}", `has no "descr" key`},
		{"extra key", "{'descr': '<f4', " + ok + ", 'x': 1}", `unexpected key "x" at byte offset 66`},
		{"repeated key", "{'descr': '<f4', " + ok + ", 'descr': '<f4'}", `header key "descr" repeated at byte offset 66`},
		{"int key", "{1: 2}", "header key at byte offset 11 is a int"},
		{"object", "{'descr': '|O', " + ok + "}", `field 'descr' at byte offset 20: object arrays (descr "|O") are not supported`},
		{"complex", "{'descr': '<c8', " + ok + "}", `unsupported dtype descr "<c8"`},
		{"unicode", "{'descr': '<U3', " + ok + "}", `unsupported dtype descr "<U3"`},
		{"bytes", "{'descr': '|S4', " + ok + "}", `unsupported dtype descr "|S4"`},
		{"datetime", "{'descr': '<M8[s]', " + ok + "}", `unsupported dtype descr "<M8[s]"`},
		{"float128", "{'descr': '<f16', " + ok + "}", `unsupported dtype descr "<f16"`},
		{"empty descr", "{'descr': '', " + ok + "}", `unsupported dtype descr ""`},
		{"bad order char", "{'descr': '!f4', " + ok + "}", `unsupported dtype descr "!f4"`},
		{"structured", "{'descr': [('a', '<f4'), ('b', '<i4')], " + ok + "}",
			"field 'descr' at byte offset 20: structured dtype [('a', '<f4'), ('b', '<i4')] is not supported"},
		{"descr not a string", "{'descr': 4, " + ok + "}", "4 is not a dtype string"},
		{"fortran_order int", "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", "field 'fortran_order' at byte offset 44: 0 is not True or False"},
		{"shape list", "{'descr': '<f4', 'fortran_order': False, 'shape': [3]}", "field 'shape' at byte offset 60: [3] is not a tuple"},
		{"shape int", "{'descr': '<f4', 'fortran_order': False, 'shape': 3}", "3 is not a tuple"},
		{"shape string", "{'descr': '<f4', 'fortran_order': False, 'shape': ('3',)}", "dimension 0 is '3', not an int"},
		{"shape bool", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, True)}", "dimension 1 is True, not an int"},
		{"negative dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}", "dimension 1 is negative (-1)"},
		{"element count overflow", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", "overflows"},
		{"overflow hidden by zero", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296)}", "overflows"},
		{"byte count overflow", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,)}", "needs more than 9223372036854775807 bytes"},
		{"syntax error", "{'descr': '<f4' 'fortran_order': False}", "expected ',' or '}'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader([]byte(tt.in), 10, false)
			if err == nil {
				t.Fatalf("parseHeader(%q) = %+v, want an error", tt.in, h)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseHeader(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestFormatShape(t *testing.T) {
	tests := []struct {
		shape []int
		want  string
	}{
		{nil, "()"},
		{[]int{}, "()"},
		{[]int{3}, "(3,)"},
		{[]int{0}, "(0,)"},
		{[]int{2, 3}, "(2, 3)"},
		{[]int{1, 3, 224, 224}, "(1, 3, 224, 224)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatShape(tt.shape); got != tt.want {
				t.Errorf("formatShape(%v) = %q, want %q", tt.shape, got, tt.want)
			}
		})
	}
}

func TestDescrFor(t *testing.T) {
	tests := []struct {
		dt   tensor.DType
		want string
	}{
		{tensor.Float16, "<f2"}, {tensor.Float32, "<f4"}, {tensor.Float64, "<f8"},
		{tensor.Int8, "|i1"}, {tensor.Int16, "<i2"}, {tensor.Int32, "<i4"}, {tensor.Int64, "<i8"},
		{tensor.Uint8, "|u1"}, {tensor.Uint16, "<u2"}, {tensor.Uint32, "<u4"}, {tensor.Uint64, "<u8"},
		{tensor.Bool, "|b1"},
	}
	for _, tt := range tests {
		t.Run(tt.dt.String(), func(t *testing.T) {
			got, err := descrFor(tt.dt)
			if err != nil || got != tt.want {
				t.Fatalf("descrFor(%s) = %q, %v, want %q", tt.dt, got, err, tt.want)
			}
			back, be, err := parseDescr(got)
			if err != nil || back != tt.dt || be {
				t.Errorf("parseDescr(%q) = %s, %v, %v, want %s, false", got, back, be, err, tt.dt)
			}
		})
	}
	for _, dt := range []tensor.DType{tensor.String, tensor.Undefined, tensor.DType(99)} {
		t.Run("refuses "+dt.String(), func(t *testing.T) {
			if got, err := descrFor(dt); err == nil {
				t.Errorf("descrFor(%s) = %q, want an error", dt, got)
			}
		})
	}
}
