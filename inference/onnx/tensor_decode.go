package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/papdl/papdl/inference/tensor"
)

// DecodeTensor decodes a serialized TensorProto, such as the input_0.pb and
// output_0.pb files of the ONNX test data. It returns the tensor's name
// (possibly empty) and its value.
func DecodeTensor(data []byte) (name string, t *tensor.Tensor, err error) {
	return decodeTensor(newReader(data, 0))
}

// tensorFields is what the first pass over a TensorProto collects. The data
// fields are only counted here; the second pass decodes them straight into
// the tensor's storage.
type tensorFields struct {
	name       string
	dims       []int64
	dtype      int32
	raw        []byte
	hasRaw     bool
	external   bool
	externalKV []StringPair
	segment    bool
	counts     map[protowire.Number]int // elements per typed data field
}

// typedField describes the TensorProto fields that hold elements one by
// one: their name and wire encoding. ok is false for other fields.
func typedField(num protowire.Number) (name string, kind scalarKind, ok bool) {
	switch num {
	case fTensorFloatData:
		return "float_data", kindFixed32, true
	case fTensorInt32Data:
		return "int32_data", kindVarint, true
	case fTensorStringData:
		return "string_data", kindVarint, true // length-delimited; kind unused
	case fTensorInt64Data:
		return "int64_data", kindVarint, true
	case fTensorDoubleData:
		return "double_data", kindFixed64, true
	case fTensorUint64Data:
		return "uint64_data", kindVarint, true
	}
	return fmt.Sprintf("field %d", num), kindVarint, false
}

// typedFieldName names a typed data field for messages.
func typedFieldName(num protowire.Number) string {
	name, _, _ := typedField(num)
	return name
}

// dataFieldFor is the typed field that carries elements of type dt when
// raw_data is not used (onnx.proto's comments on each field).
func dataFieldFor(dt tensor.DType) protowire.Number {
	switch dt {
	case tensor.Float32:
		return fTensorFloatData
	case tensor.Int32, tensor.Int16, tensor.Int8, tensor.Uint16, tensor.Uint8, tensor.Bool, tensor.Float16, tensor.BFloat16:
		return fTensorInt32Data
	case tensor.String:
		return fTensorStringData
	case tensor.Int64:
		return fTensorInt64Data
	case tensor.Float64:
		return fTensorDoubleData
	case tensor.Uint32, tensor.Uint64:
		return fTensorUint64Data
	}
	return 0
}

// onnxTypeName names TensorProto.DataType values, including the ones papdl
// cannot hold, for error messages.
func onnxTypeName(dt int32) string {
	switch dt {
	case 14:
		return "complex64"
	case 15:
		return "complex128"
	case 17, 18, 19, 20:
		return "float8"
	case 21:
		return "uint4"
	case 22:
		return "int4"
	case 23:
		return "float4e2m1"
	}
	return tensor.DType(dt).String()
}

func tensorLabel(name string) string {
	if name == "" {
		return "unnamed tensor"
	}
	return fmt.Sprintf("tensor %q", name)
}

// decodeTensor decodes the TensorProto under r. Every error names the
// tensor.
func decodeTensor(r reader) (string, *tensor.Tensor, error) {
	tf, err := scanTensor(r)
	if err != nil {
		return tf.name, nil, fmt.Errorf("%s: %w", tensorLabel(tf.name), err)
	}
	t, err := buildTensor(r, &tf)
	if err != nil {
		return tf.name, nil, fmt.Errorf("%s (message at byte %d): %w", tensorLabel(tf.name), r.base, err)
	}
	return tf.name, t, nil
}

// scanTensor is the first pass: everything but the typed element values.
// The name is kept even on error so that the caller can report it.
func scanTensor(r reader) (tensorFields, error) {
	const msg = "TensorProto"
	var tf tensorFields
	var f field
	var firstErr error
	for {
		ok, err := r.next(&f)
		if err != nil {
			return tf, err
		}
		if !ok {
			break
		}
		switch f.num {
		case fTensorDims:
			err = f.eachScalar(kindVarint, msg, "dims", func(v uint64) { tf.dims = append(tf.dims, int64(v)) })
		case fTensorDataType:
			tf.dtype, err = f.int32(msg, "data_type")
		case fTensorSegment:
			tf.segment = true
		case fTensorName:
			tf.name, err = f.str(msg, "name")
		case fTensorRawData:
			if f.typ != protowire.BytesType {
				err = f.wireError(msg, "raw_data")
				break
			}
			tf.raw, tf.hasRaw = f.b, true
		case fTensorExternalData:
			var sub reader
			if sub, err = f.msg(msg, "external_data"); err == nil {
				var kv StringPair
				if kv, err = decodeStringPair(sub); err == nil {
					tf.externalKV = append(tf.externalKV, kv)
				}
			}
		case fTensorDataLocation:
			var loc int32
			loc, err = f.int32(msg, "data_location")
			tf.external = loc == dataLocationExternal
		case fTensorStringData:
			if f.typ != protowire.BytesType {
				err = f.wireError(msg, "string_data")
				break
			}
			tf.count(f.num, 1)
		default:
			if name, kind, ok := typedField(f.num); ok {
				var n int
				n, err = f.countScalars(kind, msg, name)
				tf.count(f.num, n)
			}
		}
		// Keep scanning after a field error so that a later name field can
		// still label the error.
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return tf, firstErr
}

func (tf *tensorFields) count(num protowire.Number, n int) {
	if tf.counts == nil {
		tf.counts = make(map[protowire.Number]int)
	}
	tf.counts[num] += n
}

// shape validates dims and returns them as a shape and element count.
func (tf *tensorFields) shape() ([]int, int, error) {
	shape := make([]int, len(tf.dims))
	zero := false
	for i, d := range tf.dims {
		if d < 0 || uint64(d) > math.MaxInt {
			return nil, 0, fmt.Errorf("dims %v: invalid dimension %d at axis %d", tf.dims, d, i)
		}
		shape[i] = int(d)
		zero = zero || d == 0
	}
	if zero {
		return shape, 0, nil
	}
	n := 1
	for _, d := range shape {
		if n > math.MaxInt/d {
			return nil, 0, fmt.Errorf("dims %v: element count overflows", tf.dims)
		}
		n *= d
	}
	return shape, n, nil
}

// buildTensor is the second pass: it checks the collected fields against
// each other and decodes the elements into a new tensor.
func buildTensor(r reader, tf *tensorFields) (*tensor.Tensor, error) {
	if tf.external {
		shape, _, err := tf.shape()
		if err != nil {
			return nil, err
		}
		ext, err := externalData(tf, shape)
		if err != nil {
			return nil, err
		}
		return nil, ext
	}
	if tf.segment {
		return nil, fmt.Errorf("segmented tensors (TensorProto.segment) are not supported")
	}
	dt := tensor.DType(tf.dtype)
	if !dt.Valid() {
		return nil, fmt.Errorf("data_type %d (%s) is not supported", tf.dtype, onnxTypeName(tf.dtype))
	}
	shape, n, err := tf.shape()
	if err != nil {
		return nil, err
	}
	want := dataFieldFor(dt)
	typed := 0
	for num, c := range tf.counts {
		if c == 0 {
			continue
		}
		if num != want {
			return nil, fmt.Errorf("%s tensor carries %d elements in %s", dt, c, typedFieldName(num))
		}
		typed = c
	}
	if tf.hasRaw && (len(tf.raw) > 0 || typed == 0) {
		if typed > 0 {
			return nil, fmt.Errorf("has both raw_data and %s", typedFieldName(want))
		}
		if dt == tensor.String {
			return nil, fmt.Errorf("string tensor has raw_data (strings belong in string_data)")
		}
		if size := dt.Size(); n > math.MaxInt/size || len(tf.raw) != n*size {
			return nil, fmt.Errorf("dims %v of %s need %d elements, raw_data has %d bytes", tf.dims, dt, n, len(tf.raw))
		}
		t, err := tensor.FromRawBytes(dt, shape, tf.raw)
		if err != nil {
			return nil, fmt.Errorf("raw_data: %w", err)
		}
		return t, nil
	}
	if typed != n {
		return nil, fmt.Errorf("dims %v need %d elements, %s has %d", tf.dims, n, typedFieldName(want), typed)
	}
	t := tensor.New(dt, shape...)
	if n == 0 {
		return t, nil
	}
	if err := fillTensor(r, t); err != nil {
		return nil, err
	}
	return t, nil
}

// fillTensor decodes the typed data field of t's element type into t.Data,
// whose length the first pass has checked.
func fillTensor(r reader, t *tensor.Tensor) error {
	switch d := t.Data.(type) {
	case []float32:
		return fillScalars(r, d, fTensorFloatData, kindFixed32, func(v uint64) float32 { return math.Float32frombits(uint32(v)) })
	case []float64:
		return fillScalars(r, d, fTensorDoubleData, kindFixed64, math.Float64frombits)
	case []int8:
		return fillScalars(r, d, fTensorInt32Data, kindVarint, truncate[int8])
	case []int16:
		return fillScalars(r, d, fTensorInt32Data, kindVarint, truncate[int16])
	case []int32:
		return fillScalars(r, d, fTensorInt32Data, kindVarint, truncate[int32])
	case []uint8:
		return fillScalars(r, d, fTensorInt32Data, kindVarint, truncate[uint8])
	case []uint16: // Uint16 and Float16 bit patterns
		return fillScalars(r, d, fTensorInt32Data, kindVarint, truncate[uint16])
	case []bool:
		return fillScalars(r, d, fTensorInt32Data, kindVarint, func(v uint64) bool { return v != 0 })
	case []int64:
		return fillScalars(r, d, fTensorInt64Data, kindVarint, truncate[int64])
	case []uint32:
		return fillScalars(r, d, fTensorUint64Data, kindVarint, truncate[uint32])
	case []uint64:
		return fillScalars(r, d, fTensorUint64Data, kindVarint, truncate[uint64])
	case []string:
		return fillStrings(r, d)
	}
	return fmt.Errorf("no typed data decoder for %s", t.DType)
}

// truncate keeps the low bits of a field value: int32_data holds the
// narrower integer types and float16 bits, uint64_data holds uint32.
func truncate[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v uint64) T {
	return T(v)
}

// fillScalars decodes every occurrence of field num into dst in order.
func fillScalars[T any](r reader, dst []T, num protowire.Number, k scalarKind, conv func(uint64) T) error {
	name := typedFieldName(num)
	i := 0
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if f.num != num {
			continue
		}
		err = f.eachScalar(k, "TensorProto", name, func(v uint64) {
			if i < len(dst) {
				dst[i] = conv(v)
			}
			i++
		})
		if err != nil {
			return err
		}
	}
	if i != len(dst) {
		return fmt.Errorf("%s holds %d elements, want %d", name, i, len(dst))
	}
	return nil
}

// fillStrings decodes every string_data occurrence into dst in order.
func fillStrings(r reader, dst []string) error {
	i := 0
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if f.num != fTensorStringData {
			continue
		}
		if i < len(dst) {
			dst[i] = string(f.b)
		}
		i++
	}
	if i != len(dst) {
		return fmt.Errorf("string_data holds %d elements, want %d", i, len(dst))
	}
	return nil
}
