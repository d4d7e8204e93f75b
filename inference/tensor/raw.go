package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// hostLittleEndian is true on every platform papdl ships for; the raw
// converters fall back to per-element encoding elsewhere.
var hostLittleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// RawBytes returns the tensor's elements as little-endian bytes (the layout of
// ONNX raw_data, .npy payloads and papdl's wire frames). Bool is one byte per
// element. The result may alias t's memory on little-endian hosts: treat it as
// read-only.
func (t *Tensor) RawBytes() ([]byte, error) {
	if t.DType == String || !t.DType.Valid() {
		return nil, fmt.Errorf("no raw byte form for %s tensors", t.DType)
	}
	n := t.Len()
	size := t.DType.Size()
	if n == 0 {
		return []byte{}, nil
	}
	if t.DType == Bool {
		src := t.Data.([]bool)
		out := make([]byte, n)
		for i, v := range src {
			if v {
				out[i] = 1
			}
		}
		return out, nil
	}
	if hostLittleEndian {
		return unsafe.Slice((*byte)(dataPointer(t.Data)), n*size), nil
	}
	out := make([]byte, n*size)
	putElements(out, t.Data)
	return out, nil
}

// FromRawBytes builds a tensor of type dt and shape from little-endian bytes.
// The bytes are copied.
func FromRawBytes(dt DType, shape []int, b []byte) (*Tensor, error) {
	if dt == String || !dt.Valid() {
		return nil, fmt.Errorf("no raw byte form for %s tensors", dt)
	}
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension %d at axis %d of shape %v", d, i, shape)
		}
	}
	n := NumElements(shape)
	if want := n * dt.Size(); len(b) != want {
		return nil, fmt.Errorf("%s tensor of shape %v needs %d bytes, got %d", dt, shape, want, len(b))
	}
	t := New(dt, shape...)
	if n == 0 {
		return t, nil
	}
	if dt == Bool {
		dst := t.Data.([]bool)
		for i, v := range b {
			dst[i] = v != 0
		}
		return t, nil
	}
	if hostLittleEndian {
		copy(unsafe.Slice((*byte)(dataPointer(t.Data)), len(b)), b)
		return t, nil
	}
	getElements(t.Data, b)
	return t, nil
}

func dataPointer(data any) unsafe.Pointer {
	switch s := data.(type) {
	case []float32:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []float64:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []int8:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []int16:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []int32:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []int64:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []uint8:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []uint16:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []uint32:
		return unsafe.Pointer(unsafe.SliceData(s))
	case []uint64:
		return unsafe.Pointer(unsafe.SliceData(s))
	}
	panic(fmt.Sprintf("tensor: no pointer for %T", data))
}

func putElements(out []byte, data any) {
	le := binary.LittleEndian
	switch s := data.(type) {
	case []float32:
		for i, v := range s {
			le.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range s {
			le.PutUint64(out[8*i:], math.Float64bits(v))
		}
	case []int8:
		for i, v := range s {
			out[i] = byte(v)
		}
	case []uint8:
		copy(out, s)
	case []int16:
		for i, v := range s {
			le.PutUint16(out[2*i:], uint16(v))
		}
	case []uint16:
		for i, v := range s {
			le.PutUint16(out[2*i:], v)
		}
	case []int32:
		for i, v := range s {
			le.PutUint32(out[4*i:], uint32(v))
		}
	case []uint32:
		for i, v := range s {
			le.PutUint32(out[4*i:], v)
		}
	case []int64:
		for i, v := range s {
			le.PutUint64(out[8*i:], uint64(v))
		}
	case []uint64:
		for i, v := range s {
			le.PutUint64(out[8*i:], v)
		}
	}
}

func getElements(data any, b []byte) {
	le := binary.LittleEndian
	switch s := data.(type) {
	case []float32:
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case []int8:
		for i := range s {
			s[i] = int8(b[i])
		}
	case []uint8:
		copy(s, b)
	case []int16:
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
	case []uint16:
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
	case []int32:
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
	case []uint32:
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
	case []int64:
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
	case []uint64:
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
	}
}
