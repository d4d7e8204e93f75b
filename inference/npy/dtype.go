package npy

import (
	"fmt"

	"github.com/papdl/papdl/inference/tensor"
)

// dtypeCodes maps numpy's kind letter and item size to papdl's types.
var dtypeCodes = map[string]tensor.DType{
	"f2": tensor.Float16, "f4": tensor.Float32, "f8": tensor.Float64,
	"i1": tensor.Int8, "i2": tensor.Int16, "i4": tensor.Int32, "i8": tensor.Int64,
	"u1": tensor.Uint8, "u2": tensor.Uint16, "u4": tensor.Uint32, "u8": tensor.Uint64,
	"b1": tensor.Bool,
}

// parseDescr maps a dtype descr such as "<f4" to a tensor type and whether
// the payload is big-endian. '<', '|' and '=' (and no order character) are
// read as little-endian: numpy writes '|' only for one-byte types and never
// writes '=', and papdl runs on little-endian hosts.
func parseDescr(descr string) (tensor.DType, bool, error) {
	code := descr
	bigEndian := false
	if code != "" {
		switch code[0] {
		case '>':
			bigEndian = true
			code = code[1:]
		case '<', '|', '=':
			code = code[1:]
		}
	}
	if dt, ok := dtypeCodes[code]; ok {
		return dt, bigEndian && dt.Size() > 1, nil
	}
	if code == "O" || code == "O8" || code == "O4" {
		return tensor.Undefined, false, fmt.Errorf("object arrays (descr %q) are not supported", descr)
	}
	return tensor.Undefined, false, fmt.Errorf("unsupported dtype descr %q", descr)
}

// descrFor is the descr numpy writes for a little-endian array of type dt.
func descrFor(dt tensor.DType) (string, error) {
	for code, d := range dtypeCodes {
		if d != dt {
			continue
		}
		if dt.Size() == 1 {
			return "|" + code, nil
		}
		return "<" + code, nil
	}
	return "", fmt.Errorf("npy: no .npy dtype for %s tensors", dt)
}
