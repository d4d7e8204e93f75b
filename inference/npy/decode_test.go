package npy

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/papdl/papdl/inference/tensor"
)

const f4x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"

func TestDecodeHandWritten(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want *tensor.Tensor
	}{
		{"unpadded 1.0 header", npyFile(1, f4x3, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0xc0, 0x7f}),
			tensor.MustFromSlice([]float32{1, -2, float32(math.NaN())}, 3)},
		{"2.0", npyFile(2, "{'shape': (2,), 'fortran_order': False, 'descr': '<i2'}", []byte{1, 0, 0xff, 0xff}),
			tensor.MustFromSlice([]int16{1, -1}, 2)},
		{"3.0 with utf-8 padding", npyFile(3, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}\n", []byte{7, 200}),
			tensor.MustFromSlice([]uint8{7, 200}, 2)},
		{"big-endian", npyFile(1, "{'descr': '>u4', 'fortran_order': False, 'shape': (2,)}", []byte{1, 2, 3, 4, 0, 0, 0, 5}),
			tensor.MustFromSlice([]uint32{0x01020304, 5}, 2)},
		{"big-endian float64", npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': ()}", []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}),
			tensor.MustFromSlice([]float64{1.5})},
		{"fortran 2x3", npyFile(1, "{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3)}", []byte{0, 1, 2, 3, 4, 5}),
			// a[i][j] = data[i + 2*j]
			tensor.MustFromSlice([]int8{0, 2, 4, 1, 3, 5}, 2, 3)},
		{"fortran 1-d is C order", npyFile(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2,)}", []byte{1, 0, 0, 0, 2, 0, 0, 0}),
			tensor.MustFromSlice([]int32{1, 2}, 2)},
		{"fortran big-endian 2x2", npyFile(1, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2)}", []byte{0, 1, 0, 2, 0, 3, 0, 4}),
			tensor.MustFromSlice([]int16{1, 3, 2, 4}, 2, 2)},
		{"bool", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", []byte{1, 0, 1}),
			tensor.MustFromSlice([]bool{true, false, true}, 3)},
		{"empty with zero dim", npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 0)}", nil),
			tensor.MustFromSlice([]float64{}, 3, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := bytes.Clone(tt.file)
			got, err := DecodeBytes(tt.file)
			if err != nil {
				t.Fatalf("DecodeBytes: %v", err)
			}
			if d := diffTensors(tt.want, got); d != "" {
				t.Errorf("DecodeBytes: %s", d)
			}
			if !bytes.Equal(orig, tt.file) {
				t.Errorf("DecodeBytes modified its input")
			}
			got, err = Decode(iotest.OneByteReader(bytes.NewReader(tt.file)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d := diffTensors(tt.want, got); d != "" {
				t.Errorf("Decode: %s", d)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := npyFile(1, f4x3, make([]byte, 12))
	tests := []struct {
		name    string
		file    []byte
		wantErr string
	}{
		{"empty", nil, "magic string and version"},
		{"short magic", []byte("\x93NUM"), "8"},
		{"bad magic", []byte("PK\x03\x04\x14\x00\x00\x00"), `not a .npy file: magic string is "PK\x03\x04\x14\x00"`},
		{"version 4.0", append([]byte(magic), 4, 0, 0, 0), "unsupported format version 4.0 at byte offset 6"},
		{"version 1.1", append([]byte(magic), 1, 1, 0, 0), "unsupported format version 1.1"},
		{"version 0.0", append([]byte(magic), 0, 0, 0, 0), "unsupported format version 0.0"},
		{"truncated length", append([]byte(magic), 2, 0, 5), "header length"},
		{"truncated header", good[:30], "header"},
		{"huge header length", append([]byte(magic), 2, 0, 0, 0, 0, 1), "header length 16777216 at byte offset 8 exceeds"},
		{"3.0 header not utf-8", npyFile(3, "{'descr': '\xff', 'fortran_order': False, 'shape': ()}", nil), "format 3.0 header at byte offset 12 is not valid UTF-8"},
		{"latin-1 descr in 1.0", npyFile(1, "{'descr': '\xff', 'fortran_order': False, 'shape': ()}", nil), `unsupported dtype descr "\xff"`},
		{"nul in header", npyFile(1, "{'descr': '<f4',\x00 'fortran_order': False, 'shape': ()}", nil), "NUL byte at byte offset 26"},
		{"short payload", good[:len(good)-1], "npy: payload has 11 bytes, shape (3,) of <f4 needs 12"},
		{"no payload", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224)}", nil),
			"npy: payload has 0 bytes, shape (1, 3, 224, 224) of <f4 needs 602112"},
		{"long payload", append(bytes.Clone(good), 1, 2), "npy: payload has 14 bytes, shape (3,) of <f4 needs 12"},
		{"scalar payload of two", npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': ()}", make([]byte, 16)),
			"npy: payload has 16 bytes, shape () of >f8 needs 8"},
		{"bad header", npyFile(1, "{'descr': '<f4'", nil), "expected ',' or '}' in dict starting at byte offset 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(fn string, got *tensor.Tensor, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s = %v, want an error", fn, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "npy: ") {
					t.Errorf("%s error = %q, want it to contain %q", fn, err, tt.wantErr)
				}
				if errors.Is(err, ErrTooLarge) {
					t.Errorf("%s error %q wraps ErrTooLarge", fn, err)
				}
			}
			got, err := DecodeBytes(tt.file)
			check("DecodeBytes", got, err)
			got, err = Decode(bytes.NewReader(tt.file))
			check("Decode", got, err)
		})
	}
}

func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("boom")
	file := npyFile(1, f4x3, make([]byte, 12))
	for _, n := range []int{0, 5, 9, 20, len(file) - 3, len(file)} {
		r := io.MultiReader(bytes.NewReader(file[:n]), iotest.ErrReader(boom))
		got, err := Decode(r)
		if !errors.Is(err, boom) {
			t.Errorf("Decode failing after %d bytes = %v, %v; want an error wrapping %v", n, got, err, boom)
		}
	}
}

func TestReadLimit(t *testing.T) {
	file := npyFile(1, f4x3, make([]byte, 12)) // 10+57+12 = 79 bytes
	tests := []struct {
		name     string
		file     []byte
		limit    int64
		tooLarge bool
		wantErr  string
	}{
		{"exactly at limit", file, int64(len(file)), false, ""},
		{"one byte under", file, int64(len(file)) - 1, true, "needs 12 bytes after a 67-byte header, limit is 78 bytes"},
		{"header beyond limit", file, 40, true, "header ends at byte offset 67, limit is 40 bytes"},
		{"stream goes on", append(bytes.Clone(file), 0, 0, 0, 0), int64(len(file)) + 2, true, "goes on past 81 bytes"},
		{"trailing bytes within limit", append(bytes.Clone(file), 0, 0), 1000, false, "payload has 14 bytes"},
		{"zero limit", file, 0, false, "size limit 0 is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(tt.file), tt.limit)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if d := diffTensors(tensor.New(tensor.Float32, 3), got); d != "" {
					t.Error(d)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Read error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrTooLarge) != tt.tooLarge {
				t.Errorf("errors.Is(%q, ErrTooLarge) = %v, want %v", err, !tt.tooLarge, tt.tooLarge)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadRefusesBeforeReadingPayload(t *testing.T) {
	hdr := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000)}", nil)
	r := &countingReader{r: io.MultiReader(bytes.NewReader(hdr), strings.NewReader(strings.Repeat("x", 1<<20)))}
	_, err := Read(r, 1<<20)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read = %v, want ErrTooLarge", err)
	}
	if r.n != len(hdr) {
		t.Errorf("Read consumed %d bytes, want only the %d-byte header", r.n, len(hdr))
	}
}

// A header that claims a terabyte with no data behind it must fail with the
// length error, not by allocating the terabyte.
func TestDecodeLyingHeaderAllocatesLittle(t *testing.T) {
	file := npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (131072, 1048576)}", make([]byte, 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	want := "npy: payload has 100 bytes, shape (131072, 1048576) of <f8 needs 1099511627776"
	if err == nil || err.Error() != want {
		t.Fatalf("Decode error = %v, want %q", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*payloadChunk {
		t.Errorf("Decode allocated %d bytes for a 100-byte payload", alloc)
	}
}

func TestReadPayload(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*payloadChunk)/16+5)
	tests := []struct {
		name    string
		avail   int
		n       int
		wantErr error
	}{
		{"small exact", 100, 100, nil},
		{"small short", 50, 100, io.ErrUnexpectedEOF},
		{"small empty", 0, 0, nil},
		{"small from empty stream", 0, 10, io.ErrUnexpectedEOF},
		{"large exact", len(data), len(data), nil},
		{"large short", 2*payloadChunk + 7, len(data), io.ErrUnexpectedEOF},
		{"large, stream longer", len(data), 2*payloadChunk + 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPayload(bytes.NewReader(data[:tt.avail]), tt.n)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("readPayload error = %v, want %v", err, tt.wantErr)
			}
			wantLen := min(tt.avail, tt.n)
			if len(got) != wantLen || !bytes.Equal(got, data[:wantLen]) {
				t.Errorf("readPayload returned %d bytes, want the first %d of the stream", len(got), wantLen)
			}
		})
	}
}

func TestFortranToC(t *testing.T) {
	// Elements are numbered by their C index; build the Fortran layout by
	// walking Fortran order and emitting the C index, then check the
	// conversion returns 0, 1, 2, ...
	tests := []struct {
		name  string
		shape []int
		size  int
	}{
		{"2x3 bytes", []int{2, 3}, 1},
		{"3x2 int16", []int{3, 2}, 2},
		{"2x3x4 float32", []int{2, 3, 4}, 4},
		{"4x1x3x2 int64", []int{4, 1, 3, 2}, 8},
		{"1x5", []int{1, 5}, 4},
		{"5x1", []int{5, 1}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tensor.NumElements(tt.shape)
			src := make([]byte, 0, n*tt.size)
			idx := make([]int, len(tt.shape))
			for range n {
				c := 0
				for k, d := range tt.shape {
					c = c*d + idx[k]
				}
				elem := make([]byte, tt.size)
				elem[0] = byte(c)
				src = append(src, elem...)
				for k := range idx { // Fortran order: axis 0 fastest
					if idx[k]++; idx[k] < tt.shape[k] {
						break
					}
					idx[k] = 0
				}
			}
			got := fortranToC(src, tt.shape, tt.size)
			for i := range n {
				if got[i*tt.size] != byte(i) {
					t.Fatalf("element %d is %d, want %d (all: %v)", i, got[i*tt.size], i, got)
				}
			}
		})
	}
}

func TestSwapBytes(t *testing.T) {
	tests := []struct {
		size     int
		in, want []byte
	}{
		{1, []byte{1, 2, 3}, []byte{1, 2, 3}},
		{2, []byte{1, 2, 3, 4}, []byte{2, 1, 4, 3}},
		{4, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{4, 3, 2, 1, 8, 7, 6, 5}},
		{8, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{8, 7, 6, 5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(string(rune('0'+tt.size)), func(t *testing.T) {
			b := bytes.Clone(tt.in)
			swapBytes(b, tt.size)
			if !bytes.Equal(b, tt.want) {
				t.Errorf("swapBytes(%v, %d) = %v, want %v", tt.in, tt.size, b, tt.want)
			}
		})
	}
}
