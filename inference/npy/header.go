package npy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/papdl/papdl/inference/tensor"
)

// header is the parsed and validated array description of a .npy file.
type header struct {
	descr     string // as written in the file, for error messages
	dtype     tensor.DType
	bigEndian bool
	fortran   bool
	shape     []int
	numElems  int
	dataBytes int64
}

// parseHeader parses the header dict text found at file offset base.
func parseHeader(text []byte, base int, longSuffix bool) (header, error) {
	lit, err := parseLiteral(text, base, longSuffix)
	if err != nil {
		return header{}, err
	}
	if lit.kind != litDict {
		return header{}, fmt.Errorf("npy: header at byte offset %d is a %s, not a dict", base+lit.start, lit.kind)
	}
	var h header
	var seen [3]bool
	for i, k := range lit.keys {
		v := lit.items[i]
		at := base + v.start
		if k.kind != litString {
			return header{}, fmt.Errorf("npy: header key at byte offset %d is a %s, not a string", base+k.start, k.kind)
		}
		var slot int
		switch k.str {
		case "descr":
			slot = 0
			if err := h.setDescr(v, text); err != nil {
				return header{}, fmt.Errorf("npy: header field 'descr' at byte offset %d: %w", at, err)
			}
		case "fortran_order":
			slot = 1
			if v.kind != litBool {
				return header{}, fmt.Errorf("npy: header field 'fortran_order' at byte offset %d: %s is not True or False",
					at, text[v.start:v.end])
			}
			h.fortran = v.b
		case "shape":
			slot = 2
			if err := h.setShape(v, text); err != nil {
				return header{}, fmt.Errorf("npy: header field 'shape' at byte offset %d: %w", at, err)
			}
		default:
			return header{}, fmt.Errorf("npy: header has unexpected key %q at byte offset %d", k.str, base+k.start)
		}
		if seen[slot] {
			return header{}, fmt.Errorf("npy: header key %q repeated at byte offset %d", k.str, base+k.start)
		}
		seen[slot] = true
	}
	for i, name := range []string{"descr", "fortran_order", "shape"} {
		if !seen[i] {
			return header{}, fmt.Errorf("npy: header at byte offset %d has no %q key", base+lit.start, name)
		}
	}
	// Checked here, after the loop, because it needs both descr and shape.
	size := int64(h.dtype.Size())
	if h.numElems > 0 && int64(h.numElems) > math.MaxInt64/size {
		return header{}, fmt.Errorf("npy: shape %s of %s needs more than %d bytes", formatShape(h.shape), h.descr, int64(math.MaxInt64))
	}
	h.dataBytes = int64(h.numElems) * size
	return h, nil
}

func (h *header) setDescr(v literal, text []byte) error {
	switch v.kind {
	case litString:
	case litList:
		return fmt.Errorf("structured dtype %s is not supported", text[v.start:v.end])
	default:
		return fmt.Errorf("%s is not a dtype string", text[v.start:v.end])
	}
	dt, be, err := parseDescr(v.str)
	if err != nil {
		return err
	}
	h.descr, h.dtype, h.bigEndian = v.str, dt, be
	return nil
}

func (h *header) setShape(v literal, text []byte) error {
	if v.kind != litTuple {
		return fmt.Errorf("%s is not a tuple", text[v.start:v.end])
	}
	shape := make([]int, len(v.items))
	n, zero := 1, false
	for i, d := range v.items {
		if d.kind != litInt {
			return fmt.Errorf("dimension %d is %s, not an int", i, text[d.start:d.end])
		}
		if d.num < 0 {
			return fmt.Errorf("dimension %d is negative (%d)", i, d.num)
		}
		if d.num > math.MaxInt {
			return fmt.Errorf("dimension %d (%d) does not fit in an int", i, d.num)
		}
		shape[i] = int(d.num)
		// The product of the non-zero dimensions must fit even when another
		// dimension is zero, so that the verdict does not depend on order.
		if d.num == 0 {
			zero = true
			continue
		}
		if n > math.MaxInt/shape[i] {
			return fmt.Errorf("element count of %s overflows", text[v.start:v.end])
		}
		n *= shape[i]
	}
	if zero {
		n = 0
	}
	h.shape, h.numElems = shape, n
	return nil
}

// formatShape writes a shape as Python's repr of a tuple: "()", "(3,)",
// "(1, 3, 224, 224)".
func formatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
