package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/papdl/papdl/inference/tensor"
)

const (
	// arrayAlign is numpy's ARRAY_ALIGN: the payload starts at a multiple
	// of it.
	arrayAlign = 64
	// growthAxisMaxDigits is numpy's GROWTH_AXIS_MAX_DIGITS: numpy.save
	// leaves room after the dict to rewrite the first dimension in place.
	growthAxisMaxDigits = 21
)

// Encode writes t as a .npy file, byte for byte what numpy.save writes for
// the same C-ordered little-endian array.
func Encode(w io.Writer, t *tensor.Tensor) error {
	hdr, payload, err := encodeParts(t)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("npy: writing header: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("npy: writing payload at byte offset %d: %w", len(hdr), err)
	}
	return nil
}

// EncodeBytes returns t as a .npy file (see Encode).
func EncodeBytes(t *tensor.Tensor) ([]byte, error) {
	hdr, payload, err := encodeParts(t)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hdr)+len(payload))
	return append(append(out, hdr...), payload...), nil
}

// encodeParts returns the magic, version, header length and padded header,
// and the payload. The payload may alias t's data.
func encodeParts(t *tensor.Tensor) ([]byte, []byte, error) {
	if err := t.Check(); err != nil {
		return nil, nil, fmt.Errorf("npy: invalid tensor: %w", err)
	}
	descr, err := descrFor(t.DType)
	if err != nil {
		return nil, nil, err
	}
	payload, err := t.RawBytes()
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %w", err)
	}
	return encodeHeader(descr, t.Shape), payload, nil
}

// encodeHeader follows numpy's _write_array_header and _wrap_header: the
// dict with sorted keys and a trailing ", ", growth room for the first
// dimension, then spaces and a newline up to a multiple of arrayAlign,
// version 1.0 if the padded header's length fits its 16-bit field.
func encodeHeader(descr string, shape []int) []byte {
	var dict bytes.Buffer
	dict.WriteString("{'descr': '")
	dict.WriteString(descr)
	dict.WriteString("', 'fortran_order': False, 'shape': ")
	dict.WriteString(formatShape(shape))
	dict.WriteString(", }")
	if len(shape) > 0 {
		for range growthAxisMaxDigits - len(strconv.Itoa(shape[0])) {
			dict.WriteByte(' ')
		}
	}
	major, lenSize := byte(1), 2
	hlen := dict.Len() + 1 // the newline
	pad := arrayAlign - (preambleLen+lenSize+hlen)%arrayAlign
	if hlen+pad > math.MaxUint16 {
		major, lenSize = 2, 4
		pad = arrayAlign - (preambleLen+lenSize+hlen)%arrayAlign
	}
	out := make([]byte, 0, preambleLen+lenSize+hlen+pad)
	out = append(out, magic...)
	out = append(out, major, 0)
	if lenSize == 2 {
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
	}
	out = append(out, dict.Bytes()...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	return append(out, '\n')
}
