package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/papdl/papdl/inference/tensor"
)

// EncodeTensor serializes t as a TensorProto called name (the format of the
// ONNX test data's .pb files). Numeric tensors are written as raw_data,
// string tensors as string_data.
func EncodeTensor(name string, t *tensor.Tensor) ([]byte, error) {
	b, err := appendTensorBody(make([]byte, 0, tensorSizeHint(name, t)), name, t)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode %s: %w", tensorLabel(name), err)
	}
	return b, nil
}

// appendTensorBody appends the fields of a TensorProto.
func appendTensorBody(b []byte, name string, t *tensor.Tensor) ([]byte, error) {
	if err := t.Check(); err != nil {
		return b, err
	}
	if !t.DType.Valid() {
		return b, fmt.Errorf("data type %s cannot be written", t.DType)
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	b = appendPackedInt64s(b, fTensorDims, dims)
	b = appendVarintField(b, fTensorDataType, uint64(t.DType))
	b = appendStringIf(b, fTensorName, name)
	if t.DType == tensor.String {
		for _, s := range t.Data.([]string) {
			b = appendStringField(b, fTensorStringData, s)
		}
		return b, nil
	}
	raw, err := t.RawBytes()
	if err != nil {
		return b, err
	}
	return appendBytesField(b, fTensorRawData, raw), nil
}

// appendTensorField appends field num of the enclosing message holding t.
func appendTensorField(b []byte, num protowire.Number, name string, t *tensor.Tensor) ([]byte, error) {
	return appendMessageSized(b, num, tensorSizeHint(name, t), func(b []byte) ([]byte, error) {
		b, err := appendTensorBody(b, name, t)
		if err != nil {
			return b, fmt.Errorf("%s: %w", tensorLabel(name), err)
		}
		return b, nil
	})
}

// tensorSizeHint estimates the size of t's TensorProto: its raw bytes plus
// room for the other fields.
func tensorSizeHint(name string, t *tensor.Tensor) int {
	n := 32 + len(name)
	if t != nil {
		n += 11 * len(t.Shape)
		if t.DType.Size() > 0 && t.Check() == nil {
			n += int(t.ByteSize())
		}
	}
	return n
}
