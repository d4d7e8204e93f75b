package apiserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/objects"
)

// logsQuery reads ?partition=I&gateway=true&tail=N&follow=true.
func logsQuery(q url.Values) (objects.LogRequest, error) {
	var req objects.LogRequest
	if p := q.Get("partition"); p != "" {
		i, err := strconv.Atoi(p)
		if err != nil {
			return req, fmt.Errorf("partition %q: want an index", p)
		}
		req.Partition = &i
	}
	var err error
	for _, b := range []struct {
		key string
		dst *bool
	}{{"gateway", &req.Gateway}, {"follow", &req.Follow}} {
		if v := q.Get(b.key); v != "" {
			if *b.dst, err = strconv.ParseBool(v); err != nil {
				return req, fmt.Errorf("%s %q: want true or false", b.key, v)
			}
		}
	}
	if t := q.Get("tail"); t != "" {
		if req.Tail, err = strconv.Atoi(t); err != nil || req.Tail < 0 {
			return req, fmt.Errorf("tail %q: want a line count", t)
		}
	}
	return req, nil
}

// logsValues is the query of a LogRequest.
func logsValues(req objects.LogRequest) url.Values {
	q := url.Values{}
	if req.Partition != nil {
		q.Set("partition", strconv.Itoa(*req.Partition))
	}
	if req.Gateway {
		q.Set("gateway", "true")
	}
	if req.Tail > 0 {
		q.Set("tail", strconv.Itoa(req.Tail))
	}
	if req.Follow {
		q.Set("follow", "true")
	}
	return q
}

// getLogs streams a model's workload logs as text, from the controller's
// runtime. An error before the first byte is a Status; later, the stream
// just ends.
func (s *Server) getLogs(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	req, err := logsQuery(r.URL.Query())
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	if s.logs == nil {
		writeStatus(w, http.StatusNotImplemented, "NotImplemented", "this server has no runtime to read logs from")
		return
	}
	ctx := r.Context()
	if req.Follow {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxWatch)
		defer cancel()
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(maxWatch + 10*time.Second))
	}
	sw := &streamWriter{w: w, rc: http.NewResponseController(w)}
	err = objects.Logs(ctx, s.logs, n, req, sw)
	switch {
	case err == nil:
	case !sw.started():
		writeError(w, err)
	default: // the answer has begun: it just ends
		s.log.Warn("logs cut short", zap.String("name", n), zap.Error(err))
	}
}

// streamWriter answers 200 text/plain at its first write and flushes
// every write (a followed log reaches the client as it comes).
type streamWriter struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	written bool
}

func (s *streamWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.written {
		s.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		s.w.WriteHeader(http.StatusOK)
		s.written = true
	}
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

func (s *streamWriter) started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Logs copies a model's workload logs to w (following them with
// req.Follow until ctx ends or the server ends the stream).
func (c *Client) Logs(ctx context.Context, name string, req objects.LogRequest, w io.Writer) error {
	path := itemPath(name, "logs")
	if q := logsValues(req).Encode(); q != "" {
		path += "?" + q
	}
	resp, err := c.stream(ctx, path)
	if err != nil {
		return fmt.Errorf("logs of %s: %w", name, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of %s: %w", name, err)
	}
	return nil
}
