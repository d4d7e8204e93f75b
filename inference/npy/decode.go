package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/papdl/papdl/inference/tensor"
)

// ErrTooLarge is wrapped by the errors Read returns for files larger than
// its limit; servers map it to 413 Payload Too Large.
var ErrTooLarge = errors.New("npy: file exceeds the size limit")

// MaxHeaderLen is the largest header Decode, DecodeBytes and Read accept.
// numpy itself refuses headers over 10000 characters by default.
const MaxHeaderLen = 1 << 20

const (
	magic        = "\x93NUMPY"
	preambleLen  = len(magic) + 2 // magic and version bytes
	payloadChunk = 4 << 20        // allocation step for payloads of unknown honesty
)

// Decode reads one .npy file from r, which must end with it: bytes after the
// payload are an error. It accepts files of any size; servers reading
// untrusted input use Read.
func Decode(r io.Reader) (*tensor.Tensor, error) {
	return Read(r, math.MaxInt64)
}

// Read is Decode for untrusted input: a file whose header declares more than
// maxBytes bytes in total (magic, header and payload) is refused with an
// error wrapping ErrTooLarge before the payload is allocated, and so is a
// stream that goes on past maxBytes.
func Read(r io.Reader, maxBytes int64) (*tensor.Tensor, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("npy: size limit %d is not positive", maxBytes)
	}
	var pre [preambleLen + 4]byte
	if n, err := io.ReadFull(r, pre[:preambleLen]); err != nil {
		return nil, readErr("magic string and version", 0, n, preambleLen, err)
	}
	v, err := parsePreamble(pre[:preambleLen])
	if err != nil {
		return nil, err
	}
	if n, err := io.ReadFull(r, pre[preambleLen:preambleLen+v.lenSize]); err != nil {
		return nil, readErr("header length", int64(preambleLen), n, v.lenSize, err)
	}
	hlen := v.headerLen(pre[preambleLen:])
	base := preambleLen + v.lenSize
	if err := checkHeaderLen(hlen); err != nil {
		return nil, err
	}
	dataStart := int64(base) + int64(hlen)
	if dataStart > maxBytes {
		return nil, fmt.Errorf("%w: header ends at byte offset %d, limit is %d bytes", ErrTooLarge, dataStart, maxBytes)
	}
	text := make([]byte, hlen)
	if n, err := io.ReadFull(r, text); err != nil {
		return nil, readErr("header", int64(base), n, int(hlen), err)
	}
	h, err := v.parseHeader(text, base)
	if err != nil {
		return nil, err
	}
	if h.dataBytes > maxBytes-dataStart {
		return nil, fmt.Errorf("%w: shape %s of %s needs %d bytes after a %d-byte header, limit is %d bytes",
			ErrTooLarge, formatShape(h.shape), h.descr, h.dataBytes, dataStart, maxBytes)
	}
	if h.dataBytes > math.MaxInt {
		return nil, fmt.Errorf("npy: shape %s of %s needs %d bytes, more than this platform can address",
			formatShape(h.shape), h.descr, h.dataBytes)
	}
	payload, err := readPayload(r, int(h.dataBytes))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, h.lengthErr(int64(len(payload)))
		}
		return nil, fmt.Errorf("npy: reading payload at byte offset %d: %w", dataStart+int64(len(payload)), err)
	}
	// The stream must end here. Count what follows, within the limit, for
	// the error message.
	var probe [1]byte
	if n, err := io.ReadFull(r, probe[:]); n > 0 {
		room := maxBytes - dataStart - h.dataBytes
		extra, err := io.Copy(io.Discard, io.LimitReader(r, room))
		if err != nil {
			return nil, fmt.Errorf("npy: reading past the payload at byte offset %d: %w", dataStart+h.dataBytes+1+extra, err)
		}
		if 1+extra > room {
			return nil, fmt.Errorf("%w: data goes on past %d bytes", ErrTooLarge, maxBytes)
		}
		return nil, h.lengthErr(h.dataBytes + 1 + extra)
	} else if err != io.EOF {
		return nil, fmt.Errorf("npy: reading past the payload at byte offset %d: %w", dataStart+h.dataBytes, err)
	}
	return h.tensor(payload, true)
}

// DecodeBytes decodes a complete .npy file held in memory. b is not
// modified and not retained.
func DecodeBytes(b []byte) (*tensor.Tensor, error) {
	if len(b) < preambleLen {
		return nil, fmt.Errorf("npy: file has %d bytes, too short for the %d-byte magic string and version", len(b), preambleLen)
	}
	v, err := parsePreamble(b[:preambleLen])
	if err != nil {
		return nil, err
	}
	base := preambleLen + v.lenSize
	if len(b) < base {
		return nil, fmt.Errorf("npy: file has %d bytes, ends inside the %d-byte header length at byte offset %d", len(b), v.lenSize, preambleLen)
	}
	hlen := v.headerLen(b[preambleLen:])
	if err := checkHeaderLen(hlen); err != nil {
		return nil, err
	}
	if int64(len(b)-base) < int64(hlen) {
		return nil, fmt.Errorf("npy: header length field says %d bytes, file ends after %d", hlen, len(b)-base)
	}
	dataStart := base + int(hlen)
	h, err := v.parseHeader(b[base:dataStart], base)
	if err != nil {
		return nil, err
	}
	payload := b[dataStart:]
	if int64(len(payload)) != h.dataBytes {
		return nil, h.lengthErr(int64(len(payload)))
	}
	return h.tensor(payload, false)
}

// version holds what the format version decides.
type version struct {
	major   byte
	lenSize int // bytes of the header length field
}

func parsePreamble(p []byte) (version, error) {
	if string(p[:len(magic)]) != magic {
		return version{}, fmt.Errorf("npy: not a .npy file: magic string is %q, want %q", p[:len(magic)], magic)
	}
	major, minor := p[len(magic)], p[len(magic)+1]
	if minor != 0 || major < 1 || major > 3 {
		return version{}, fmt.Errorf("npy: unsupported format version %d.%d at byte offset %d (want 1.0, 2.0 or 3.0)", major, minor, len(magic))
	}
	if major == 1 {
		return version{major: 1, lenSize: 2}, nil
	}
	return version{major: major, lenSize: 4}, nil
}

func (v version) headerLen(p []byte) uint32 {
	if v.lenSize == 2 {
		return uint32(binary.LittleEndian.Uint16(p))
	}
	return binary.LittleEndian.Uint32(p)
}

func checkHeaderLen(hlen uint32) error {
	if hlen > MaxHeaderLen {
		return fmt.Errorf("npy: header length %d at byte offset %d exceeds the %d-byte limit", hlen, preambleLen, MaxHeaderLen)
	}
	return nil
}

// parseHeader checks the header's encoding for the version and parses it.
func (v version) parseHeader(text []byte, base int) (header, error) {
	if v.major >= 3 && !utf8.Valid(text) {
		return header{}, fmt.Errorf("npy: format 3.0 header at byte offset %d is not valid UTF-8", base)
	}
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return header{}, fmt.Errorf("npy: header has a NUL byte at byte offset %d", base+i)
	}
	return parseHeader(text, base, v.major < 3)
}

func (h *header) lengthErr(got int64) error {
	return fmt.Errorf("npy: payload has %d bytes, shape %s of %s needs %d", got, formatShape(h.shape), h.descr, h.dataBytes)
}

// tensor converts the payload to a C-ordered host tensor. The payload is
// modified only if owned.
func (h *header) tensor(payload []byte, owned bool) (*tensor.Tensor, error) {
	size := h.dtype.Size()
	if h.bigEndian {
		if !owned {
			payload = bytes.Clone(payload)
		}
		swapBytes(payload, size)
	}
	if h.fortran && len(h.shape) > 1 && h.numElems > 0 {
		payload = fortranToC(payload, h.shape, size)
	}
	t, err := tensor.FromRawBytes(h.dtype, h.shape, payload)
	if err != nil {
		return nil, fmt.Errorf("npy: shape %s of %s: %w", formatShape(h.shape), h.descr, err)
	}
	return t, nil
}

// readPayload reads exactly n bytes. It allocates at most payloadChunk
// bytes, or twice what has arrived, ahead of the data, so that a header
// that lies about the size cannot make it allocate much more than the
// stream holds. On a short read it returns what arrived and
// io.ErrUnexpectedEOF.
func readPayload(r io.Reader, n int) ([]byte, error) {
	if n <= payloadChunk {
		buf := make([]byte, n)
		k, err := io.ReadFull(r, buf)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf[:k], err
	}
	buf := make([]byte, 0, payloadChunk)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// readErr describes a failed read of the want-byte part what at offset.
func readErr(what string, offset int64, got, want int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("npy: file ends after %d of the %d bytes of the %s at byte offset %d", got, want, what, offset)
	}
	return fmt.Errorf("npy: reading the %s at byte offset %d: %w", what, offset, err)
}
