package chain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// allocatedBy returns the bytes the process allocated while f ran.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// giantBudget is what refusing a giant request may allocate at most.
const giantBudget = 8 << 20

// TestGiantDeclarationsAllocateNothing sends tiny requests that declare
// giant tensors to every decoder: each is refused without allocating the
// tensor.
func TestGiantDeclarationsAllocateNothing(t *testing.T) {
	s := tinySliced(t, 2)
	tc := startChain(t, s, chainOptions{timeout: 5 * time.Second})
	h := tc.gw.Handler()
	npyHead := func(descr, shape string) []byte {
		hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
		for (10+len(hdr)+1)%64 != 0 {
			hdr += " "
		}
		hdr += "\n"
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
		return append(b, hdr...)
	}
	cases := []struct {
		name, path string
		header     map[string]string
		body       []byte
	}{
		{"OIP JSON FP64 [268435456]", "/v2/models/m/infer", nil,
			[]byte(`{"inputs":[{"name":"input","shape":[268435456],"datatype":"FP64","data":[1]}]}`)},
		{"OIP JSON right dtype, giant shape", "/v2/models/m/infer", nil,
			[]byte(`{"inputs":[{"name":"input","shape":[1,3,16384,4096],"datatype":"FP32","data":[1]}]}`)},
		{"OIP binary FP64 [268435456]", "/v2/models/m/infer", map[string]string{binaryHeader: "98"},
			[]byte(`{"inputs":[{"name":"input","shape":[268435456],"datatype":"FP64","parameters":{"binary_data_size":8}}]}12345678`)},
		{"npy f4 (1,3,4096,4096) without payload", "/input", nil, npyHead("<f4", "(1, 3, 4096, 4096)")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var code int
			grew := allocatedBy(func() {
				req := httptest.NewRequest(http.MethodPost, c.path, bytes.NewReader(c.body))
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				code = rec.Code
			})
			if code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 400 or 413", code)
			}
			if grew > giantBudget {
				t.Errorf("refusing a %d-byte request allocated %d MiB", len(c.body), grew>>20)
			}
		})
	}

	t.Run("chain frame declaring 1 GiB without payload", func(t *testing.T) {
		grew := allocatedBy(func() {
			c, err := net.Dial("tcp", tc.addrs[1])
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(giantFrameHeader(t, s.stages[1].Partition.Inputs[0].Name)); err != nil {
				t.Fatal(err)
			}
			// The partition drops the connection at once; the old code
			// allocated the tensor and waited for its payload.
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, _ = c.Read(make([]byte, 1))
		})
		if grew > giantBudget {
			t.Errorf("a 1 GiB frame header allocated %d MiB in the process", grew>>20)
		}
	})
}

// giantFrameHeader is the header and metadata of a data frame carrying one
// FP32 tensor name of 1 GiB, without its payload.
func giantFrameHeader(t testing.TB, name string) []byte {
	t.Helper()
	f := &Frame{Kind: KindData, ErrStage: -1, Tensors: []NamedTensor{{Name: name, Tensor: tensor.New(tensor.Float32, 1)}}}
	head, _, err := f.marshalHead()
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the shape [1] to [1<<28] and the payload length to 1 GiB.
	dim := bytes.LastIndex(head, binary.LittleEndian.AppendUint64(nil, 1))
	binary.LittleEndian.PutUint64(head[dim:], 1<<28)
	binary.LittleEndian.PutUint64(head[40:], 1<<30)
	return head
}

func TestReadFrameChecksTheManifest(t *testing.T) {
	lim := Limits{Expect: []slice.Value{{Name: "x", DType: tensor.Float32, Shape: []int{1, 4}}}}
	good := &Frame{Kind: KindData, ErrStage: -1, Tensors: []NamedTensor{{Name: "x", Tensor: tensor.New(tensor.Float32, 1, 4)}}}
	cases := []struct {
		name   string
		f      *Frame
		reason string
	}{
		{"matches", good, ""},
		{"unknown name", &Frame{Kind: KindData, Tensors: []NamedTensor{{Name: "y", Tensor: tensor.New(tensor.Float32, 1, 4)}}}, "not one this hop carries"},
		{"wrong dtype", &Frame{Kind: KindData, Tensors: []NamedTensor{{Name: "x", Tensor: tensor.New(tensor.Int32, 1, 4)}}}, "not one this hop carries"},
		{"wrong shape", &Frame{Kind: KindData, Tensors: []NamedTensor{{Name: "x", Tensor: tensor.New(tensor.Float32, 4, 1)}}}, "the manifest says 1"},
		{"too large", &Frame{Kind: KindData, Tensors: []NamedTensor{{Name: "x", Tensor: tensor.New(tensor.Float32, 2, 4)}}}, "exceeds the limit"},
		{"echo refused", &Frame{Kind: KindEcho, Blob: []byte("abc")}, "not accepted here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteFrame(&buf, c.f); err != nil {
				t.Fatal(err)
			}
			_, _, err := ReadFrame(&buf, lim)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("error %v, want a protocol error with %q", err, c.reason)
			}
		})
	}
}

// TestUnfinishedBodyIsCut: a chunked body without its last chunk is cut
// off at the read timeout instead of holding the connection.
func TestUnfinishedBodyIsCut(t *testing.T) {
	s := tinySliced(t, 2)
	gw, err := NewGateway(GatewayConfig{ModelName: "m", Inputs: s.a.Inputs, Outputs: s.a.Outputs, First: "127.0.0.1:1",
		HTTP: HTTPLimits{ReadTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(listen(t, "127.0.0.1:0"), 4)
	hs := gw.HTTPServer(context.Background())
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	for _, path := range []string{"/input", "/v2/models/m/infer"} {
		t.Run(path, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", path)
			// A generous bound on the test, not a timed assertion: the server
			// must end the exchange; the old server waited forever.
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.ReadAll(c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept the connection with an unfinished body")
			}
		})
	}
}

// flakyListener fails its first accepts as a process out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// TestAcceptErrorsDoNotStopAPartition: EMFILE from accept used to end
// Serve; now the listener backs off and goes on.
func TestAcceptErrorsDoNotStopAPartition(t *testing.T) {
	s := tinySliced(t, 2)
	tc := startChain(t, s, chainOptions{timeout: 10 * time.Second, wrapListener: func(i int, ln net.Listener) net.Listener {
		if i != 1 {
			return ln
		}
		fl := &flakyListener{Listener: ln}
		fl.failures.Store(5)
		return fl
	}})
	in := s.sample(3)
	outs, err := tc.gw.Infer(context.Background(), in)
	if err != nil {
		t.Fatalf("infer after accept errors: %v", err)
	}
	sameBits(t, "after EMFILE", outs[s.a.Outputs[0].Name], s.want(t, in))
	select {
	case err := <-tc.servers[1].done:
		t.Fatalf("partition 1 stopped: %v", err)
	default:
	}
}

// TestChainConnectionLimits: an idle connection is closed after the idle
// timeout, and connections past MaxConns are closed at once.
func TestChainConnectionLimits(t *testing.T) {
	s := tinySliced(t, 2)
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := bufio.NewReader(c).ReadByte()
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
	t.Run("idle", func(t *testing.T) {
		tc := startChain(t, s, chainOptions{timeout: 10 * time.Second, limits: Limits{IdleTimeout: 200 * time.Millisecond}})
		c, err := net.Dial("tcp", tc.addrs[1])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !closed(c) {
			t.Fatal("an idle upstream connection stayed open")
		}
	})
	t.Run("too many", func(t *testing.T) {
		tc := startChain(t, s, chainOptions{timeout: 10 * time.Second, limits: Limits{MaxConns: 3}})
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < 4; i++ {
			c, err := net.Dial("tcp", tc.addrs[1])
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		if !closed(conns[3]) {
			t.Fatal("a connection past MaxConns was served")
		}
		_ = conns[0].SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := conns[0].Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("a connection within MaxConns was closed: %v", err)
		}
	})
}
