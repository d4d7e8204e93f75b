package onnx

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestAppendMessageSized checks the length prefix for hints that are too
// small, right and too large, across varint width boundaries.
func TestAppendMessageSized(t *testing.T) {
	tests := []struct {
		name       string
		hint, size int
	}{
		{"empty", 0, 0},
		{"small exact", 5, 5},
		{"grow 1 to 2 bytes", 0, 200},
		{"grow 1 to 3 bytes", 10, 20000},
		{"shrink 3 to 1 bytes", 20000, 3},
		{"shrink 2 to 1 byte", 128, 127},
		{"boundary", 127, 128},
		{"large exact width", 1 << 20, 1<<20 + 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := make([]byte, tc.size)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			prefix := []byte{0xaa, 0xbb}
			b, err := appendMessageSized(append([]byte{}, prefix...), 9, tc.hint, func(b []byte) ([]byte, error) {
				return append(b, payload...), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:2], prefix) {
				t.Fatalf("prefix overwritten: %x", b[:2])
			}
			num, typ, n := protowire.ConsumeTag(b[2:])
			if num != 9 || typ != protowire.BytesType {
				t.Fatalf("tag %d/%d", num, typ)
			}
			got, m := protowire.ConsumeBytes(b[2+n:])
			if m < 0 {
				t.Fatalf("bad length prefix: %v", protowire.ParseError(m))
			}
			if 2+n+m != len(b) {
				t.Fatalf("%d trailing bytes", len(b)-2-n-m)
			}
			if !bytes.Equal(got, payload) {
				t.Fatal("payload changed")
			}
			if m-len(got) != protowire.SizeVarint(uint64(tc.size)) {
				t.Errorf("length prefix of %d bytes is not minimal", m-len(got))
			}
		})
	}
	t.Run("error is passed on", func(t *testing.T) {
		want := errors.New("boom")
		if _, err := appendMessage(nil, 1, func(b []byte) ([]byte, error) { return b, want }); !errors.Is(err, want) {
			t.Errorf("error %v, want %v", err, want)
		}
	})
}
