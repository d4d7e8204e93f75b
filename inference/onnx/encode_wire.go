package onnx

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// appendMessage appends field num holding an embedded message whose body
// the function body appends, for bodies expected to be small.
func appendMessage(b []byte, num protowire.Number, body func([]byte) ([]byte, error)) ([]byte, error) {
	return appendMessageSized(b, num, 0, body)
}

// appendMessageSized is appendMessage for a body of about sizeHint bytes.
// It reserves room for the length prefix of that size, lets body append in
// place and moves the body only when the real length needs a prefix of
// another width, so that nested messages need no temporary buffers and the
// megabytes of a weight tensor are not shifted at every nesting level.
func appendMessageSized(b []byte, num protowire.Number, sizeHint int, body func([]byte) ([]byte, error)) ([]byte, error) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	reserved := protowire.SizeVarint(uint64(sizeHint))
	b = append(b, make([]byte, reserved)...)
	b, err := body(b)
	if err != nil {
		return b, err
	}
	n := len(b) - start - reserved
	need := protowire.SizeVarint(uint64(n))
	switch {
	case need > reserved:
		b = append(b, make([]byte, need-reserved)...)
		copy(b[start+need:], b[start+reserved:start+reserved+n])
	case need < reserved:
		copy(b[start+need:], b[start+reserved:])
		b = b[:start+need+n]
	}
	// b[start:start] has capacity for the prefix, so AppendVarint writes it
	// in place.
	protowire.AppendVarint(b[start:start], uint64(n))
	return b, nil
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendStringIf appends a string field unless it is empty (the proto2
// default, which readers cannot tell from absent).
func appendStringIf(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringField(b, num, s)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendFloatField(b []byte, num protowire.Number, v float32) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(v))
}

// appendPackedInt64s appends a packed repeated int64 field; nothing for an
// empty list.
func appendPackedInt64s(b []byte, num protowire.Number, vals []int64) []byte {
	if len(vals) == 0 {
		return b
	}
	size := 0
	for _, v := range vals {
		size += protowire.SizeVarint(uint64(v))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	for _, v := range vals {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

// appendPackedFloats appends a packed repeated float field; nothing for an
// empty list.
func appendPackedFloats(b []byte, num protowire.Number, vals []float32) []byte {
	if len(vals) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(4*len(vals)))
	for _, v := range vals {
		b = protowire.AppendFixed32(b, math.Float32bits(v))
	}
	return b
}
