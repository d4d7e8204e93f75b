package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense, C-ordered (row-major) array. Data is a slice whose Go
// type matches DType: []float32, []float64, []int8, []int16, []int32, []int64,
// []uint8, []uint16 (also for Float16 bit patterns), []uint32, []uint64,
// []bool or []string. len(Data) == NumElements(Shape). A scalar has an empty
// shape and one element; a tensor with a zero dimension has no elements.
type Tensor struct {
	DType DType
	Shape []int
	Data  any
}

// New returns a zero-filled tensor of the given type and shape.
func New(dt DType, shape ...int) *Tensor {
	n := NumElements(shape)
	return &Tensor{DType: dt, Shape: append([]int{}, shape...), Data: makeSlice(dt, n)}
}

// FromSlice wraps data (not copied) as a tensor of the given shape. The
// element type is taken from data's Go type; Float16 needs FromFloat16Bits.
func FromSlice(data any, shape ...int) (*Tensor, error) {
	dt, n, err := sliceInfo(data)
	if err != nil {
		return nil, err
	}
	if want := NumElements(shape); want != n {
		return nil, fmt.Errorf("tensor of shape %v needs %d elements, got %d", shape, want, n)
	}
	return &Tensor{DType: dt, Shape: append([]int{}, shape...), Data: data}, nil
}

// MustFromSlice is FromSlice for literals in code and tests; it panics on a
// length mismatch.
func MustFromSlice(data any, shape ...int) *Tensor {
	t, err := FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// FromFloat16Bits wraps IEEE binary16 bit patterns as a Float16 tensor.
func FromFloat16Bits(bits []uint16, shape ...int) (*Tensor, error) {
	if want := NumElements(shape); want != len(bits) {
		return nil, fmt.Errorf("tensor of shape %v needs %d elements, got %d", shape, want, len(bits))
	}
	return &Tensor{DType: Float16, Shape: append([]int{}, shape...), Data: bits}, nil
}

// NumElements is the product of the dimensions (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElements(t.Shape) }

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// ByteSize is the size of the raw little-endian payload (0 for strings).
func (t *Tensor) ByteSize() int64 { return int64(t.Len()) * int64(t.DType.Size()) }

// Float32s returns the data of a Float32 tensor; it panics for other types.
func (t *Tensor) Float32s() []float32 { return t.Data.([]float32) }

// Float64s returns the data of a Float64 tensor; it panics for other types.
func (t *Tensor) Float64s() []float64 { return t.Data.([]float64) }

// Int64s returns the data of an Int64 tensor; it panics for other types.
func (t *Tensor) Int64s() []int64 { return t.Data.([]int64) }

// Int32s returns the data of an Int32 tensor; it panics for other types.
func (t *Tensor) Int32s() []int32 { return t.Data.([]int32) }

// Bools returns the data of a Bool tensor; it panics for other types.
func (t *Tensor) Bools() []bool { return t.Data.([]bool) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := New(t.DType, t.Shape...)
	copySlice(c.Data, t.Data)
	return c
}

// Reshaped returns a tensor sharing t's data with another shape of the same
// element count.
func (t *Tensor) Reshaped(shape ...int) (*Tensor, error) {
	if NumElements(shape) != t.Len() {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", t.Shape, t.Len(), shape)
	}
	return &Tensor{DType: t.DType, Shape: append([]int{}, shape...), Data: t.Data}, nil
}

// Check verifies that Data's Go type matches DType and its length matches
// Shape. Components call it on tensors that come from outside.
func (t *Tensor) Check() error {
	if t == nil {
		return fmt.Errorf("nil tensor")
	}
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension %d at axis %d of shape %v", d, i, t.Shape)
		}
	}
	dt, n, err := sliceInfo(t.Data)
	if err != nil {
		return err
	}
	if dt != t.DType && !((t.DType == Float16 || t.DType == BFloat16) && dt == Uint16) {
		return fmt.Errorf("tensor says %s but holds %T", t.DType, t.Data)
	}
	if n != t.Len() {
		return fmt.Errorf("tensor of shape %v needs %d elements, holds %d", t.Shape, t.Len(), n)
	}
	return nil
}

// String is a short description: "float32[1 3 224 224]".
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = fmt.Sprint(d)
	}
	return fmt.Sprintf("%s[%s]", t.DType, strings.Join(parts, " "))
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sliceInfo(data any) (DType, int, error) {
	switch s := data.(type) {
	case []float32:
		return Float32, len(s), nil
	case []float64:
		return Float64, len(s), nil
	case []int8:
		return Int8, len(s), nil
	case []int16:
		return Int16, len(s), nil
	case []int32:
		return Int32, len(s), nil
	case []int64:
		return Int64, len(s), nil
	case []uint8:
		return Uint8, len(s), nil
	case []uint16:
		return Uint16, len(s), nil
	case []uint32:
		return Uint32, len(s), nil
	case []uint64:
		return Uint64, len(s), nil
	case []bool:
		return Bool, len(s), nil
	case []string:
		return String, len(s), nil
	}
	return Undefined, 0, fmt.Errorf("unsupported tensor data type %T", data)
}

func makeSlice(dt DType, n int) any {
	switch dt {
	case Float32:
		return make([]float32, n)
	case Float64:
		return make([]float64, n)
	case Int8:
		return make([]int8, n)
	case Int16:
		return make([]int16, n)
	case Int32:
		return make([]int32, n)
	case Int64:
		return make([]int64, n)
	case Uint8:
		return make([]uint8, n)
	case Uint16, Float16, BFloat16:
		return make([]uint16, n)
	case Uint32:
		return make([]uint32, n)
	case Uint64:
		return make([]uint64, n)
	case Bool:
		return make([]bool, n)
	case String:
		return make([]string, n)
	}
	panic(fmt.Sprintf("tensor: no storage for %s", dt))
}

func copySlice(dst, src any) {
	switch d := dst.(type) {
	case []float32:
		copy(d, src.([]float32))
	case []float64:
		copy(d, src.([]float64))
	case []int8:
		copy(d, src.([]int8))
	case []int16:
		copy(d, src.([]int16))
	case []int32:
		copy(d, src.([]int32))
	case []int64:
		copy(d, src.([]int64))
	case []uint8:
		copy(d, src.([]uint8))
	case []uint16:
		copy(d, src.([]uint16))
	case []uint32:
		copy(d, src.([]uint32))
	case []uint64:
		copy(d, src.([]uint64))
	case []bool:
		copy(d, src.([]bool))
	case []string:
		copy(d, src.([]string))
	}
}
