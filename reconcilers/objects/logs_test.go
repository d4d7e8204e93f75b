package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// fakeLogs runs the workloads it has logs of.
type fakeLogs map[string]string

func (f fakeLogs) List(_ context.Context, model string) ([]runtime.Observed, error) {
	var out []runtime.Observed
	for _, p := range []int{-1, 1, 0} { // not in order
		if name := runtime.WorkloadName(model, p); f[name] != "" {
			out = append(out, runtime.Observed{Workload: runtime.Workload{Name: name, Model: model, Partition: p}})
		}
	}
	return out, nil
}

func (f fakeLogs) Logs(_ context.Context, name string, opts runtime.LogOptions, w io.Writer) error {
	s, ok := f[name]
	if !ok {
		return fmt.Errorf("%s: %w", name, runtime.ErrNotFound)
	}
	_, err := io.WriteString(w, s)
	return err
}

func TestLogs(t *testing.T) {
	rt := fakeLogs{"papdl-m-p0": "zero\n", "papdl-m-p1": "one\nuno", "papdl-m-gateway": "gw\n"}
	p := func(i int) *int { return &i }
	for _, tc := range []struct {
		name string
		req  LogRequest
		want string
		err  error
	}{
		{"partition", LogRequest{Partition: p(1)}, "one\nuno", nil},
		{"gateway", LogRequest{Gateway: true}, "gw\n", nil},
		{"all, prefixed, in order", LogRequest{}, "[papdl-m-p0] zero\n[papdl-m-p1] one\n[papdl-m-p1] uno\n[papdl-m-gateway] gw\n", nil},
		{"missing partition", LogRequest{Partition: p(7)}, "", ErrNotFound},
		{"both", LogRequest{Partition: p(0), Gateway: true}, "", ErrInvalid},
		{"negative", LogRequest{Partition: p(-1)}, "", ErrInvalid},
		{"follow all", LogRequest{LogOptions: runtime.LogOptions{Follow: true}}, "", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Logs(context.Background(), rt, "m", tc.req, &out)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if out.String() != tc.want {
				t.Fatalf("wrote %q, want %q", out.String(), tc.want)
			}
		})
	}
	if err := Logs(context.Background(), fakeLogs{}, "m", LogRequest{}, io.Discard); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a model without workloads: %v", err)
	}
}
