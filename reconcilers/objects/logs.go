package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// LogRuntime is what Logs needs of a runtime.
type LogRuntime interface {
	List(ctx context.Context, model string) ([]runtime.Observed, error)
	Logs(ctx context.Context, name string, opts runtime.LogOptions, w io.Writer) error
}

// LogRequest selects a model's workload logs.
type LogRequest struct {
	// Partition selects one partition server, Gateway the gateway; with
	// neither, every workload of the model (not with Follow).
	Partition *int
	Gateway   bool
	runtime.LogOptions
}

// Logs writes the selected workload logs of model to w: one workload's as
// it is, several one after the other, each line prefixed with
// "[WORKLOAD] ". A workload the runtime does not run, or a model without
// workloads, is an error wrapping ErrNotFound; an impossible request one
// wrapping ErrInvalid.
func Logs(ctx context.Context, rt LogRuntime, model string, req LogRequest, w io.Writer) error {
	switch {
	case req.Partition != nil && req.Gateway:
		return invalidf("logs of %s: give a partition or the gateway, not both", model)
	case req.Partition != nil && *req.Partition < 0:
		return invalidf("logs of %s: partition %d: want 0 or more", model, *req.Partition)
	case req.Partition != nil || req.Gateway:
		p := -1
		if req.Partition != nil {
			p = *req.Partition
		}
		return workloadLogs(ctx, rt, runtime.WorkloadName(model, p), req.LogOptions, w)
	case req.Follow:
		return invalidf("logs of %s: following needs one workload: give a partition or the gateway", model)
	}
	ws, err := rt.List(ctx, model)
	if err != nil {
		return fmt.Errorf("logs of %s: %w", model, err)
	}
	if len(ws) == 0 {
		return fmt.Errorf("distributedmodel %q runs no workloads: %w", model, ErrNotFound)
	}
	// Partitions in order, then the gateway (partition -1).
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i].Partition, ws[j].Partition
		if (a < 0) != (b < 0) {
			return b < 0
		}
		return a < b
	})
	var errs []error
	for _, o := range ws {
		pw := &prefixWriter{w: w, prefix: "[" + o.Name + "] "}
		err := workloadLogs(ctx, rt, o.Name, req.LogOptions, pw)
		if ferr := pw.flush(); err == nil {
			err = ferr
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func workloadLogs(ctx context.Context, rt LogRuntime, name string, opts runtime.LogOptions, w io.Writer) error {
	err := rt.Logs(ctx, name, opts, w)
	if errors.Is(err, runtime.ErrNotFound) {
		return fmt.Errorf("workload %s: %w", name, ErrNotFound)
	}
	return err
}

// prefixWriter starts every line with prefix.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.partial = append(p.partial, b...)
			break
		}
		line := append(append([]byte(p.prefix), p.partial...), b[:i+1]...)
		p.partial = p.partial[:0]
		if _, err := p.w.Write(line); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
	return n, nil
}

// flush writes a last line without its newline.
func (p *prefixWriter) flush() error {
	if len(p.partial) == 0 {
		return nil
	}
	_, err := p.w.Write(append(append([]byte(p.prefix), p.partial...), '\n'))
	p.partial = nil
	return err
}
