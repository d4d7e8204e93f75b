package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/tensor"
)

func TestFrameRoundTrip(t *testing.T) {
	f16, _ := tensor.FromFloat16Bits([]uint16{0x3c00, 0xc000}, 2)
	cases := []struct {
		name string
		f    Frame
	}{
		{"data", Frame{Kind: KindData, ID: RequestID{1, 2, 3}, Budget: 3 * time.Second, ErrStage: -1,
			Timings: []Timing{{Stage: 0, Wait: 5, Compute: 7}, {Stage: 1, Wait: 11, Compute: 13}},
			Tensors: []NamedTensor{
				{"a", tensor.MustFromSlice([]float32{1, -2.5, 3}, 3)},
				{"scalar", tensor.MustFromSlice([]int64{-9})},
				{"empty", tensor.New(tensor.Float32, 2, 0, 3)},
				{"flags", tensor.MustFromSlice([]bool{true, false, true}, 1, 3)},
				{"half", f16},
				{"bytes", tensor.MustFromSlice([]uint8{1, 2, 255}, 3)},
			}}},
		{"error", Frame{Kind: KindError, ID: RequestID{9}, ErrStage: 2, Err: "partition 2: boom"}},
		{"ping", Frame{Kind: KindPing, ID: RequestID{4}, ErrStage: -1, Timings: []Timing{{Stage: 0}}}},
		{"echo", Frame{Kind: KindEcho, ID: RequestID{5}, ErrStage: -1, Blob: []byte("0123456789")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := WriteFrame(&buf, &c.f)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(buf.Len()) {
				t.Errorf("WriteFrame reported %d bytes, wrote %d", n, buf.Len())
			}
			got, m, err := ReadFrame(&buf, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if m != n {
				t.Errorf("ReadFrame read %d bytes of %d", m, n)
			}
			if got.Kind != c.f.Kind || got.ID != c.f.ID || got.Budget != c.f.Budget || got.ErrStage != c.f.ErrStage ||
				got.Err != c.f.Err || !reflect.DeepEqual(got.Timings, c.f.Timings) || !bytes.Equal(got.Blob, c.f.Blob) {
				t.Errorf("got %+v, want %+v", got, c.f)
			}
			if len(got.Tensors) != len(c.f.Tensors) {
				t.Fatalf("%d tensors, want %d", len(got.Tensors), len(c.f.Tensors))
			}
			for i, nt := range c.f.Tensors {
				if got.Tensors[i].Name != nt.Name {
					t.Errorf("tensor %d named %q, want %q", i, got.Tensors[i].Name, nt.Name)
				}
				sameBits(t, nt.Name, got.Tensors[i].Tensor, nt.Tensor)
			}
			if _, _, err := ReadFrame(&buf, Limits{}); !errors.Is(err, io.EOF) {
				t.Errorf("after the frame: %v, want io.EOF", err)
			}
		})
	}
}

func TestReadFrameRejectsMalformed(t *testing.T) {
	var good bytes.Buffer
	if _, err := WriteFrame(&good, &Frame{Kind: KindData, Tensors: []NamedTensor{{"x", tensor.MustFromSlice([]float32{1, 2}, 2)}}}); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	edit := func(fn func(b []byte) []byte) []byte { return fn(append([]byte(nil), g...)) }
	metaStart := headerLen
	// metadata of the good frame: u16 0 timings, u32 1 tensor, u16 1 "x", dtype, rank, dim...
	dimOff := metaStart + 2 + 4 + 2 + 1 + 2
	cases := []struct {
		name    string
		b       []byte
		lim     Limits
		want    string
		proto   bool
		eofOnly bool
	}{
		{"empty stream", nil, Limits{}, "EOF", false, true},
		{"short header", g[:10], Limits{}, "read frame header", false, false},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), Limits{}, "bad magic", true, false},
		{"bad version", edit(func(b []byte) []byte { b[4] = 9; return b }), Limits{}, "frame version 9", true, false},
		{"bad kind", edit(func(b []byte) []byte { b[5] = 77; return b }), Limits{}, "unknown frame kind", true, false},
		{"payload over limit", g, Limits{MaxPayload: 4}, "exceeds the limit", true, false},
		{"meta over limit", g, Limits{MaxMeta: 4}, "exceeds the limit", true, false},
		{"truncated payload", g[:len(g)-1], Limits{}, "unexpected EOF", false, false},
		{"bad dtype", edit(func(b []byte) []byte { b[dimOff-2] = 8; return b }), Limits{}, "no raw form", true, false},
		{"rank too large", edit(func(b []byte) []byte { b[dimOff-1] = 200; return b }), Limits{}, "rank 200", true, false},
		{"negative dim", edit(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[dimOff:], ^uint64(0)); return b }), Limits{}, "dimension -1", true, false},
		{"huge dim", edit(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[dimOff:], 1<<40); return b }), Limits{}, "dimension", true, false},
		{"payload length mismatch", edit(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[40:], 4); return b }), Limits{}, "need 8 payload bytes", true, false},
		{"metadata too short", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[32:], 3); return b }), Limits{}, "metadata", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ReadFrame(bytes.NewReader(c.b), c.lim)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.eofOnly && err != io.EOF {
				t.Fatalf("got %v, want io.EOF", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if errors.Is(err, ErrProtocol) != c.proto {
				t.Errorf("error %q: protocol violation = %v, want %v", err, !c.proto, c.proto)
			}
		})
	}
}

func TestIDsDoNotCollide(t *testing.T) {
	a, err := NewIDGenerator()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewIDGenerator()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[RequestID]bool{}
	for i := 0; i < 1000; i++ {
		for _, g := range []*IDGenerator{a, b} {
			id := g.Next()
			if seen[id] {
				t.Fatalf("id %s issued twice", id)
			}
			seen[id] = true
		}
	}
}
