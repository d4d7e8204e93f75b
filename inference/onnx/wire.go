package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one decoded field of a protobuf message. For VarintType,
// Fixed32Type and Fixed64Type the value is in v; for BytesType b is the
// payload (a sub-slice of the input, not a copy) and bOff its offset in the
// outermost input. Groups are skipped by the reader and never returned.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	off  int // offset of the field's tag in the outermost input
	v    uint64
	b    []byte
	bOff int
}

// reader walks the fields of one message. base is the offset of data[0] in
// the outermost input, so that errors can name absolute byte offsets.
type reader struct {
	data []byte
	pos  int
	base int
}

func newReader(data []byte, base int) reader {
	return reader{data: data, base: base}
}

// each calls fn with every field of the message under r, in order, and
// stops at the first error (fn's or the wire's).
func (r reader) each(fn func(f *field) error) error {
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil || !ok {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
}

// next reads the next field into f. It returns false at the end of the
// message. Unknown groups are consumed with protowire.ConsumeFieldValue.
func (r *reader) next(f *field) (bool, error) {
	for r.pos < len(r.data) {
		off := r.pos
		num, typ, tagLen := protowire.ConsumeTag(r.data[off:])
		if tagLen < 0 {
			return false, fmt.Errorf("byte %d: bad field tag: %w", r.base+off, protowire.ParseError(tagLen))
		}
		rest := r.data[off+tagLen:]
		*f = field{num: num, typ: typ, off: r.base + off}
		var n int
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(rest)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(rest)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(rest)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(rest)
			// The payload is the tail of the n consumed bytes.
			f.bOff = f.off + tagLen + n - len(f.b)
		default:
			// Groups (deprecated) and stray end-group tags: let protowire
			// skip a whole group or report the error.
			n = protowire.ConsumeFieldValue(num, typ, rest)
		}
		if n < 0 {
			return false, fmt.Errorf("byte %d: field %d (wire type %d): %w", r.base+off, num, typ, protowire.ParseError(n))
		}
		r.pos = off + tagLen + n
		if typ == protowire.StartGroupType {
			continue
		}
		return true, nil
	}
	return false, nil
}

// wireError reports a known field that arrived with the wrong wire type.
func (f *field) wireError(msg, name string) error {
	return fmt.Errorf("byte %d: %s.%s (field %d) has wire type %d", f.off, msg, name, f.num, f.typ)
}

// str returns a BytesType field as a string (copied).
func (f *field) str(msg, name string) (string, error) {
	if f.typ != protowire.BytesType {
		return "", f.wireError(msg, name)
	}
	return string(f.b), nil
}

// bytes returns a BytesType field as a copied byte slice, nil when empty.
func (f *field) bytes(msg, name string) ([]byte, error) {
	if f.typ != protowire.BytesType {
		return nil, f.wireError(msg, name)
	}
	if len(f.b) == 0 {
		return nil, nil
	}
	return append([]byte(nil), f.b...), nil
}

// msg returns a BytesType field as a reader over the embedded message.
func (f *field) msg(msg, name string) (reader, error) {
	if f.typ != protowire.BytesType {
		return reader{}, f.wireError(msg, name)
	}
	return newReader(f.b, f.bOff), nil
}

// int64 returns a varint field as int64 (also right for int32 fields, which
// protobuf sign-extends to 64 bits).
func (f *field) int64(msg, name string) (int64, error) {
	if f.typ != protowire.VarintType {
		return 0, f.wireError(msg, name)
	}
	return int64(f.v), nil
}

// int32 returns a varint int32 or enum field.
func (f *field) int32(msg, name string) (int32, error) {
	v, err := f.int64(msg, name)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("byte %d: %s.%s value %d out of int32 range", f.off, msg, name, v)
	}
	return int32(v), nil
}

// float32 returns a fixed32 float field.
func (f *field) float32(msg, name string) (float32, error) {
	if f.typ != protowire.Fixed32Type {
		return 0, f.wireError(msg, name)
	}
	return math.Float32frombits(uint32(f.v)), nil
}

// scalarKind is the wire encoding of one element of a repeated scalar field.
type scalarKind int

const (
	kindVarint scalarKind = iota
	kindFixed32
	kindFixed64
)

func (k scalarKind) wireType() protowire.Type {
	switch k {
	case kindFixed32:
		return protowire.Fixed32Type
	case kindFixed64:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}

// countScalars returns how many elements one occurrence of a repeated
// scalar field holds, accepting the packed (BytesType) and the unpacked
// encoding, without decoding them.
func (f *field) countScalars(k scalarKind, msg, name string) (int, error) {
	if f.typ == k.wireType() {
		return 1, nil
	}
	if f.typ != protowire.BytesType {
		return 0, f.wireError(msg, name)
	}
	switch k {
	case kindFixed32:
		if len(f.b)%4 != 0 {
			return 0, fmt.Errorf("byte %d: packed %s.%s has %d bytes, not a multiple of 4", f.off, msg, name, len(f.b))
		}
		return len(f.b) / 4, nil
	case kindFixed64:
		if len(f.b)%8 != 0 {
			return 0, fmt.Errorf("byte %d: packed %s.%s has %d bytes, not a multiple of 8", f.off, msg, name, len(f.b))
		}
		return len(f.b) / 8, nil
	}
	if len(f.b) > 0 && f.b[len(f.b)-1]&0x80 != 0 {
		return 0, fmt.Errorf("byte %d: packed %s.%s ends inside a varint", f.off, msg, name)
	}
	n := 0
	for _, c := range f.b {
		if c < 0x80 {
			n++
		}
	}
	return n, nil
}

// eachScalar calls fn with every element of one occurrence of a repeated
// scalar field (packed or not), as the raw 64-bit value: varints as read,
// fixed32 and fixed64 as their bits.
func (f *field) eachScalar(k scalarKind, msg, name string, fn func(v uint64)) error {
	if f.typ == k.wireType() {
		fn(f.v)
		return nil
	}
	if f.typ != protowire.BytesType {
		return f.wireError(msg, name)
	}
	b := f.b
	for len(b) > 0 {
		var v uint64
		var n int
		switch k {
		case kindFixed32:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			v = uint64(u)
		case kindFixed64:
			v, n = protowire.ConsumeFixed64(b)
		default:
			v, n = protowire.ConsumeVarint(b)
		}
		if n < 0 {
			return fmt.Errorf("byte %d: packed %s.%s: %w", f.bOff+len(f.b)-len(b), msg, name, protowire.ParseError(n))
		}
		fn(v)
		b = b[n:]
	}
	return nil
}
