package tensor

import "fmt"

// DType is an element type. The values are ONNX's TensorProto.DataType
// numbers so that they cross the ONNX codec unchanged.
type DType int32

// The element types papdl knows. Float16 values are stored as their IEEE 754
// binary16 bit patterns in a []uint16, BFloat16 values as the upper
// halves of float32 bit patterns in a []uint16; String tensors hold []string.
const (
	Undefined DType = 0
	Float32   DType = 1
	Uint8     DType = 2
	Int8      DType = 3
	Uint16    DType = 4
	Int16     DType = 5
	Int32     DType = 6
	Int64     DType = 7
	String    DType = 8
	Bool      DType = 9
	Float16   DType = 10
	Float64   DType = 11
	Uint32    DType = 12
	Uint64    DType = 13
	BFloat16  DType = 16
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64", BFloat16: "bfloat16",
}

// String returns the numpy-style name of the type ("float32").
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// ParseDType is the inverse of DType.String.
func ParseDType(s string) (DType, error) {
	for d, n := range dtypeNames {
		if n == s && d != Undefined {
			return d, nil
		}
	}
	return Undefined, fmt.Errorf("unknown dtype %q", s)
}

// Size is the number of bytes of one element in the raw little-endian form
// (0 for String and Undefined, which have no fixed size).
func (d DType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float32, Int32, Uint32:
		return 4
	case Int64, Float64, Uint64:
		return 8
	}
	return 0
}

// Valid reports whether d is one of the types above other than Undefined.
func (d DType) Valid() bool {
	_, ok := dtypeNames[d]
	return ok && d != Undefined
}
