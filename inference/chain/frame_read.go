package chain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// ReadFrame reads one frame from r. Malformed frames give an error wrapping
// ErrProtocol; a clean end of stream before a frame gives io.EOF. It also
// returns the number of bytes read.
func ReadFrame(r io.Reader, lim Limits) (*Frame, int64, error) {
	lim = lim.withDefaults()
	var head [headerLen]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return nil, 0, io.EOF
		}
		return nil, int64(n), fmt.Errorf("read frame header: %w", err)
	}
	if string(head[:4]) != frameMagic {
		return nil, headerLen, fmt.Errorf("%w: bad magic %q", ErrProtocol, head[:4])
	}
	if head[4] != frameVersion {
		return nil, headerLen, fmt.Errorf("%w: frame version %d, this build speaks %d", ErrProtocol, head[4], frameVersion)
	}
	f := &Frame{Kind: Kind(head[5])}
	if f.Kind < KindData || f.Kind > KindEchoReply {
		return nil, headerLen, fmt.Errorf("%w: unknown frame kind %d", ErrProtocol, head[5])
	}
	copy(f.ID[:], head[8:24])
	f.Budget = time.Duration(binary.LittleEndian.Uint64(head[24:]))
	metaLen := binary.LittleEndian.Uint32(head[32:])
	payloadLen := binary.LittleEndian.Uint64(head[40:])
	if int64(metaLen) > int64(lim.MaxMeta) {
		return nil, headerLen, fmt.Errorf("%w: frame %s: metadata of %d bytes exceeds the limit of %d", ErrProtocol, f.ID, metaLen, lim.MaxMeta)
	}
	if lim.Expect != nil && (f.Kind == KindEcho || f.Kind == KindEchoReply) {
		return nil, headerLen, fmt.Errorf("%w: frame %s: %s frames are not accepted here", ErrProtocol, f.ID, f.Kind)
	}
	if f.Kind != KindData && payloadLen > 0 && (f.Kind != KindEcho && f.Kind != KindEchoReply) {
		return nil, headerLen, fmt.Errorf("%w: frame %s: %s frames carry no payload, header says %d bytes", ErrProtocol, f.ID, f.Kind, payloadLen)
	}
	maxPayload := lim.MaxPayload
	if lim.Expect != nil {
		maxPayload = min(maxPayload, expectedBytes(lim.Expect))
	}
	if payloadLen > uint64(maxPayload) {
		return nil, headerLen, fmt.Errorf("%w: frame %s: payload of %d bytes exceeds the limit of %d", ErrProtocol, f.ID, payloadLen, maxPayload)
	}
	meta := make([]byte, metaLen)
	if n, err := io.ReadFull(r, meta); err != nil {
		return nil, headerLen + int64(n), fmt.Errorf("read frame %s metadata: %w", f.ID, eofIsUnexpected(err))
	}
	read := int64(headerLen) + int64(metaLen)
	shapes, err := f.parseMeta(meta, lim)
	if err != nil {
		return nil, read, err
	}
	if f.Kind == KindEcho || f.Kind == KindEchoReply {
		f.Blob = make([]byte, payloadLen)
		n, err := io.ReadFull(r, f.Blob)
		read += int64(n)
		if err != nil {
			return nil, read, fmt.Errorf("read frame %s payload: %w", f.ID, eofIsUnexpected(err))
		}
		return f, read, nil
	}
	var want uint64
	for _, s := range shapes {
		want += uint64(s.bytes)
	}
	if want != payloadLen {
		return nil, read, fmt.Errorf("%w: frame %s: tensors need %d payload bytes, header says %d", ErrProtocol, f.ID, want, payloadLen)
	}
	f.Tensors = make([]NamedTensor, len(shapes))
	for i, s := range shapes {
		t, n, err := readTensor(r, s)
		read += n
		if err != nil {
			return nil, read, fmt.Errorf("read frame %s tensor %q: %w", f.ID, s.name, err)
		}
		f.Tensors[i] = NamedTensor{Name: s.name, Tensor: t}
	}
	return f, read, nil
}

// expectedBytes is the payload of a frame carrying every tensor of vs.
func expectedBytes(vs []slice.Value) int64 {
	var n int64
	for _, v := range vs {
		elems := int64(1)
		for _, d := range v.Shape {
			elems *= int64(max(d, 0))
		}
		n += elems * int64(v.DType.Size())
	}
	return n
}

type tensorHead struct {
	name  string
	dtype tensor.DType
	shape []int
	bytes int64
}

func (f *Frame) parseMeta(meta []byte, lim Limits) ([]tensorHead, error) {
	p := metaParser{b: meta, id: f.ID}
	nt := int(p.u16())
	for i := 0; i < nt && p.err == nil; i++ {
		st := int(int32(p.u32()))
		wait := time.Duration(p.u64())
		comp := time.Duration(p.u64())
		f.Timings = append(f.Timings, Timing{Stage: st, Wait: wait, Compute: comp})
	}
	count := p.u32()
	if p.err == nil && uint64(count) > uint64(len(meta)) {
		return nil, fmt.Errorf("%w: frame %s: %d tensors cannot fit %d metadata bytes", ErrProtocol, f.ID, count, len(meta))
	}
	var heads []tensorHead
	var total int64
	for i := 0; i < int(count) && p.err == nil; i++ {
		var h tensorHead
		h.name = string(p.bytes(int(p.u16())))
		h.dtype = tensor.DType(p.u8())
		rank := int(p.u8())
		if p.err != nil {
			break
		}
		if !h.dtype.Valid() || h.dtype == tensor.String {
			return nil, fmt.Errorf("%w: frame %s: tensor %q has dtype %d, which has no raw form", ErrProtocol, f.ID, h.name, h.dtype)
		}
		want, known := lim.expected(h.name)
		if lim.Expect != nil && (!known || want.DType != h.dtype || len(want.Shape) != rank) {
			return nil, fmt.Errorf("%w: frame %s: tensor %q (%s, rank %d) is not one this hop carries", ErrProtocol, f.ID, h.name, h.dtype, rank)
		}
		if rank > maxRank {
			return nil, fmt.Errorf("%w: frame %s: tensor %q has rank %d, at most %d", ErrProtocol, f.ID, h.name, rank, maxRank)
		}
		elems := int64(1)
		h.shape = make([]int, rank)
		for d := 0; d < rank; d++ {
			v := int64(p.u64())
			if v < 0 || v > lim.MaxPayload {
				return nil, fmt.Errorf("%w: frame %s: tensor %q has dimension %d at axis %d", ErrProtocol, f.ID, h.name, v, d)
			}
			if known && int64(want.Shape[d]) != v {
				return nil, fmt.Errorf("%w: frame %s: tensor %q has dimension %d at axis %d, the manifest says %d", ErrProtocol, f.ID, h.name, v, d, want.Shape[d])
			}
			h.shape[d] = int(v)
			if elems != 0 && v != 0 && elems > lim.MaxPayload/v {
				elems = lim.MaxPayload + 1 // too large; reported below
			} else {
				elems *= v
			}
		}
		h.bytes = elems * int64(h.dtype.Size())
		total += h.bytes
		if elems > lim.MaxPayload || total > lim.MaxPayload {
			return nil, fmt.Errorf("%w: frame %s: tensor %q of shape %v exceeds the payload limit of %d bytes", ErrProtocol, f.ID, h.name, h.shape, lim.MaxPayload)
		}
		heads = append(heads, h)
	}
	f.ErrStage = int(int32(p.u32()))
	f.Err = string(p.bytes(int(p.u32())))
	if p.err != nil {
		return nil, p.err
	}
	if p.off != len(meta) {
		return nil, fmt.Errorf("%w: frame %s: %d stray metadata bytes", ErrProtocol, f.ID, len(meta)-p.off)
	}
	return heads, nil
}

// readTensor reads a tensor's raw bytes straight into its memory on
// little-endian hosts.
func readTensor(r io.Reader, h tensorHead) (*tensor.Tensor, int64, error) {
	if h.dtype != tensor.Bool && hostLittleEndian() {
		t := tensor.New(h.dtype, h.shape...)
		raw, err := t.RawBytes()
		if err != nil {
			return nil, 0, err
		}
		n, err := io.ReadFull(r, raw)
		if err != nil {
			return nil, int64(n), eofIsUnexpected(err)
		}
		return t, int64(n), nil
	}
	buf := make([]byte, h.bytes)
	n, err := io.ReadFull(r, buf)
	if err != nil {
		return nil, int64(n), eofIsUnexpected(err)
	}
	t, err := tensor.FromRawBytes(h.dtype, h.shape, buf)
	return t, int64(n), err
}

func hostLittleEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 1
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// metaParser reads little-endian fields, remembering the first overrun.
type metaParser struct {
	b   []byte
	off int
	err error
	id  RequestID
}

func (p *metaParser) take(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n < 0 || len(p.b)-p.off < n {
		p.err = fmt.Errorf("%w: frame %s: metadata ends at byte %d, needs %d more", ErrProtocol, p.id, len(p.b), n-(len(p.b)-p.off))
		return nil
	}
	s := p.b[p.off : p.off+n]
	p.off += n
	return s
}

func (p *metaParser) bytes(n int) []byte { return p.take(n) }

func (p *metaParser) u8() uint8 {
	if b := p.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (p *metaParser) u16() uint16 {
	if b := p.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (p *metaParser) u32() uint32 {
	if b := p.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (p *metaParser) u64() uint64 {
	if b := p.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}
