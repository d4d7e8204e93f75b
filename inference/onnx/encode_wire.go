package onnx

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// appendMessage appends field num holding an embedded message whose body
// the function body appends. It reserves one byte for the length prefix and
// shifts the body only when the length needs more (bodies of 128 bytes or
// more), so nested messages are written without temporary buffers.
func appendMessage(b []byte, num protowire.Number, body func([]byte) ([]byte, error)) ([]byte, error) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = append(b, 0)
	b, err := body(b)
	if err != nil {
		return b, err
	}
	n := len(b) - start - 1
	if size := protowire.SizeVarint(uint64(n)); size > 1 {
		b = append(b, make([]byte, size-1)...)
		copy(b[start+size:], b[start+1:start+1+n])
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
