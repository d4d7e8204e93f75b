package chain

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// Frame layout (all integers little-endian):
//
//	header, 48 bytes:
//	  0  magic "PDLC"
//	  4  version (1)
//	  5  kind
//	  6  reserved (2 bytes, zero)
//	  8  request id (16 bytes)
//	 24  budget: remaining time in nanoseconds, int64 (0: none)
//	 32  metadata length, uint32
//	 36  reserved (4 bytes, zero)
//	 40  payload length, uint64
//	metadata:
//	  uint16 timing count, then per timing: int32 stage, int64 wait ns, int64 compute ns
//	  uint32 tensor count, then per tensor: uint16 name length, name,
//	         uint8 dtype (ONNX numbering), uint8 rank, rank x int64 dims
//	  int32 error stage, uint32 error text length, error text
//	payload: the tensors' raw little-endian bytes in tensor order (Data), or
//	         opaque bytes (Echo).
const (
	frameMagic   = "PDLC"
	frameVersion = 1
	headerLen    = 48
	maxRank      = 64
)

// Kind is a frame's type.
type Kind uint8

// Frame kinds.
const (
	KindData      Kind = 1
	KindError     Kind = 2
	KindPing      Kind = 3
	KindEcho      Kind = 4
	KindEchoReply Kind = 5
)

func (k Kind) String() string {
	switch k {
	case KindData:
		return "data"
	case KindError:
		return "error"
	case KindPing:
		return "ping"
	case KindEcho:
		return "echo"
	case KindEchoReply:
		return "echo-reply"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// RequestID identifies a request across the chain: 128 random bits.
type RequestID [16]byte

// BrokenChainID is the id of an error frame that is about no single
// request: a partition lost the connection to its next hop, so every
// request in flight beyond it is lost. Generated ids are never all zero.
var BrokenChainID RequestID

func (id RequestID) String() string { return hex.EncodeToString(id[:]) }

// NamedTensor is a tensor with the name it has in the model graph.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// Timing is what one partition spent on a request: waiting in its queue
// and computing.
type Timing struct {
	Stage   int
	Wait    time.Duration
	Compute time.Duration
}

// Frame is one message on a hop.
type Frame struct {
	Kind Kind
	ID   RequestID
	// Budget is the time left before the request's deadline when the
	// frame was sent (0: no deadline).
	Budget  time.Duration
	Timings []Timing
	Tensors []NamedTensor
	// ErrStage and Err are set on Error frames: the partition index that
	// failed (-1: not a partition) and what happened.
	ErrStage int
	Err      string
	// Blob is the opaque payload of Echo frames.
	Blob []byte
	// chainBroken marks an error frame the gateway made because the chain
	// broke under the request (never encoded): the request is replayed.
	chainBroken bool
}

// Limits bound what ReadFrame accepts from a peer. Everything is checked
// against the header and metadata before the payload is allocated.
type Limits struct {
	// MaxPayload is the largest payload (sum of tensor bytes); default 1 GiB.
	// With Expect set, the payload is bounded by the expected tensors
	// instead (whichever is smaller).
	MaxPayload int64
	// MaxMeta is the largest metadata section; default 64 KiB.
	MaxMeta int
	// Expect, when set, lists the only tensors a Data frame may carry, with
	// their exact dtypes and shapes (from the manifest); a frame declaring
	// anything else is refused before its payload is read, and Echo frames
	// (which carry opaque bytes) are refused altogether.
	Expect []slice.Value
	// MaxConns is the most connections a listener serves at once (default
	// 32); with one frame read at a time per connection, a listener holds
	// at most MaxConns frames in memory while reading.
	MaxConns int
	// IdleTimeout is the longest a listener waits for the next frame to
	// arrive in full on a connection before closing it (default 2 min;
	// links close their own idle connections sooner, see LinkOptions).
	IdleTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxPayload <= 0 {
		l.MaxPayload = 1 << 30
	}
	if l.MaxMeta <= 0 {
		l.MaxMeta = 64 << 10
	}
	if l.MaxConns <= 0 {
		l.MaxConns = defaultMaxConns
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = defaultIdleTimeout
	}
	return l
}

// expected finds the declared tensor name among lim.Expect.
func (l Limits) expected(name string) (slice.Value, bool) {
	for _, v := range l.Expect {
		if v.Name == name {
			return v, true
		}
	}
	return slice.Value{}, false
}

// expectUnion lists each tensor of the lists once (by name), for Limits.Expect.
func expectUnion(lists ...[]slice.Value) []slice.Value {
	out := []slice.Value{}
	seen := map[string]bool{}
	for _, vs := range lists {
		for _, v := range vs {
			if !seen[v.Name] {
				seen[v.Name] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// ErrProtocol is wrapped by ReadFrame's errors about malformed frames (as
// opposed to I/O errors); the connection cannot be used after one.
var ErrProtocol = errors.New("chain protocol violation")

// PayloadBytes is the size of the frame's payload.
func (f *Frame) PayloadBytes() int64 {
	if f.Kind == KindEcho || f.Kind == KindEchoReply {
		return int64(len(f.Blob))
	}
	var n int64
	for _, nt := range f.Tensors {
		n += nt.Tensor.ByteSize()
	}
	return n
}

// marshalHead returns the header and metadata of f and the payload pieces.
func (f *Frame) marshalHead() ([]byte, [][]byte, error) {
	meta := make([]byte, 0, 64+len(f.Err)+len(f.Tensors)*64)
	if len(f.Timings) > 0xffff {
		return nil, nil, fmt.Errorf("frame %s: %d timings, at most 65535", f.ID, len(f.Timings))
	}
	meta = binary.LittleEndian.AppendUint16(meta, uint16(len(f.Timings)))
	for _, t := range f.Timings {
		meta = binary.LittleEndian.AppendUint32(meta, uint32(int32(t.Stage)))
		meta = binary.LittleEndian.AppendUint64(meta, uint64(t.Wait))
		meta = binary.LittleEndian.AppendUint64(meta, uint64(t.Compute))
	}
	meta = binary.LittleEndian.AppendUint32(meta, uint32(len(f.Tensors)))
	pieces := make([][]byte, 0, len(f.Tensors)+1)
	var payload int64
	for _, nt := range f.Tensors {
		t := nt.Tensor
		if err := t.Check(); err != nil {
			return nil, nil, fmt.Errorf("frame %s: tensor %q: %w", f.ID, nt.Name, err)
		}
		if len(nt.Name) > 0xffff || len(t.Shape) > maxRank {
			return nil, nil, fmt.Errorf("frame %s: tensor %q: name or rank too long", f.ID, nt.Name)
		}
		raw, err := t.RawBytes()
		if err != nil {
			return nil, nil, fmt.Errorf("frame %s: tensor %q: %w", f.ID, nt.Name, err)
		}
		meta = binary.LittleEndian.AppendUint16(meta, uint16(len(nt.Name)))
		meta = append(meta, nt.Name...)
		meta = append(meta, byte(t.DType), byte(len(t.Shape)))
		for _, d := range t.Shape {
			meta = binary.LittleEndian.AppendUint64(meta, uint64(d))
		}
		if len(raw) > 0 {
			pieces = append(pieces, raw)
		}
		payload += int64(len(raw))
	}
	meta = binary.LittleEndian.AppendUint32(meta, uint32(int32(f.ErrStage)))
	meta = binary.LittleEndian.AppendUint32(meta, uint32(len(f.Err)))
	meta = append(meta, f.Err...)
	if f.Kind == KindEcho || f.Kind == KindEchoReply {
		if len(f.Tensors) > 0 {
			return nil, nil, fmt.Errorf("frame %s: %s frames carry no tensors", f.ID, f.Kind)
		}
		if len(f.Blob) > 0 {
			pieces = append(pieces, f.Blob)
		}
		payload = int64(len(f.Blob))
	}
	head := make([]byte, headerLen, headerLen+len(meta))
	copy(head, frameMagic)
	head[4] = frameVersion
	head[5] = byte(f.Kind)
	copy(head[8:24], f.ID[:])
	binary.LittleEndian.PutUint64(head[24:], uint64(f.Budget))
	binary.LittleEndian.PutUint32(head[32:], uint32(len(meta)))
	binary.LittleEndian.PutUint64(head[40:], uint64(payload))
	return append(head, meta...), pieces, nil
}

// WriteFrame writes f to w with one vectored write when w is a network
// connection; tensor bytes are not copied. It returns the bytes written.
func WriteFrame(w io.Writer, f *Frame) (int64, error) {
	head, pieces, err := f.marshalHead()
	if err != nil {
		return 0, err
	}
	bufs := make(net.Buffers, 0, len(pieces)+1)
	bufs = append(bufs, head)
	bufs = append(bufs, pieces...)
	n, err := bufs.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("write %s frame %s: %w", f.Kind, f.ID, err)
	}
	return n, nil
}
