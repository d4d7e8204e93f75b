package apiserver

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// logRuntime runs papdl-m-p0 and papdl-m-gateway; a followed log writes
// one more line, then waits for the end.
type logRuntime struct{}

func (logRuntime) List(_ context.Context, model string) ([]runtime.Observed, error) {
	return []runtime.Observed{
		{Workload: runtime.Workload{Name: runtime.WorkloadName(model, 0), Model: model, Partition: 0}},
		{Workload: runtime.Workload{Name: runtime.WorkloadName(model, -1), Model: model, Partition: -1}},
	}, nil
}

func (logRuntime) Logs(ctx context.Context, name string, opts runtime.LogOptions, w io.Writer) error {
	if !strings.HasPrefix(name, "papdl-m-") || strings.HasSuffix(name, "-p9") {
		return fmt.Errorf("%s: %w", name, runtime.ErrNotFound)
	}
	fmt.Fprintf(w, "%s tail=%d\n", name, opts.Tail)
	if opts.Follow {
		fmt.Fprintf(w, "%s more\n", name)
		<-ctx.Done()
	}
	return nil
}

// tlsClient serves s over TLS and returns a client of it with the token.
func tlsClient(t *testing.T, s *Server, token string) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(s.Handler())
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := NewClient(Context{Name: "test", Server: srv.URL, CertificateAuthorityData: ca, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLogsSubresource(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tokens := Tokens{Admin: strings.Repeat("a", 64), ReadOnly: strings.Repeat("b", 64)}
	c := tlsClient(t, NewServer(ServerConfig{Store: st, Tokens: tokens, Logs: logRuntime{}}), tokens.ReadOnly)
	p := func(i int) *int { return &i }
	for _, tc := range []struct {
		name, model string
		req         objects.LogRequest
		want        string
		err         error
	}{
		{"partition", "m", objects.LogRequest{Partition: p(0), LogOptions: runtime.LogOptions{Tail: 3}}, "papdl-m-p0 tail=3\n", nil},
		{"gateway", "m", objects.LogRequest{Gateway: true}, "papdl-m-gateway tail=0\n", nil},
		{"all", "m", objects.LogRequest{}, "[papdl-m-p0] papdl-m-p0 tail=0\n[papdl-m-gateway] papdl-m-gateway tail=0\n", nil},
		{"missing workload", "m", objects.LogRequest{Partition: p(9)}, "", objects.ErrNotFound},
		{"follow all", "m", objects.LogRequest{LogOptions: runtime.LogOptions{Follow: true}}, "", objects.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := c.Logs(context.Background(), tc.model, tc.req, &out)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
	t.Run("follow streams", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		var out bytes.Buffer
		req := objects.LogRequest{Gateway: true, LogOptions: runtime.LogOptions{Follow: true}}
		if err := c.Logs(ctx, "m", req, &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != "papdl-m-gateway tail=0\npapdl-m-gateway more\n" {
			t.Fatalf("followed %q", out.String())
		}
	})
	t.Run("no runtime", func(t *testing.T) {
		c := tlsClient(t, NewServer(ServerConfig{Store: st, Tokens: tokens}), tokens.Admin)
		var e *APIError
		if err := c.Logs(context.Background(), "m", objects.LogRequest{Gateway: true}, io.Discard); !errors.As(err, &e) || e.Code != 501 {
			t.Fatalf("got %v, want 501", err)
		}
	})
}
