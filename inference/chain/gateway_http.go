package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/tensor"
)

// Handler serves the gateway's HTTP API:
//
//	POST /input                       .npy in, .npy out (the original client)
//	GET  /connect, /activate          compatibility; report the chain's state
//	POST /v2/models/{name}/infer      Open Inference Protocol, JSON or binary data
//	GET  /v2/models/{name}            model metadata
//	GET  /v2/models/{name}/ready, /v2/health/live, /v2/health/ready
//	GET  /metrics                     Prometheus text format
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /input", g.serveInput)
	mux.HandleFunc("GET /connect", g.serveCompat)
	mux.HandleFunc("GET /activate", g.serveCompat)
	mux.HandleFunc("POST /v2/models/{name}/infer", g.serveInfer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", g.serveInfer)
	mux.HandleFunc("GET /v2/models/{name}", g.serveModelMeta)
	mux.HandleFunc("GET /v2/models/{name}/ready", g.serveReady)
	mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, r *http.Request) {
		g.reply(w, "/v2/health/live", http.StatusOK, "text/plain", []byte("live\n"))
	})
	mux.HandleFunc("GET /v2/health/ready", g.serveReady)
	mux.HandleFunc("GET /v2", func(w http.ResponseWriter, r *http.Request) {
		g.replyJSON(w, "/v2", http.StatusOK, map[string]any{"name": "papdl", "version": "1", "extensions": []string{"binary_tensor_data"}})
	})
	mux.HandleFunc("GET /metrics", g.serveMetrics)
	return mux
}

func (g *Gateway) reply(w http.ResponseWriter, endpoint string, code int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	n, _ := w.Write(body)
	g.m.httpOut.add(uint64(n))
	g.m.request(endpoint, code)
}

func (g *Gateway) replyJSON(w http.ResponseWriter, endpoint string, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		g.fail(w, endpoint, http.StatusInternalServerError, fmt.Errorf("encode response: %w", err), true)
		return
	}
	g.reply(w, endpoint, code, "application/json", append(b, '\n'))
}

// fail answers with the error text (plain, or {"error": ...} for the
// inference protocol).
func (g *Gateway) fail(w http.ResponseWriter, endpoint string, code int, err error, asJSON bool) {
	if code >= 500 {
		g.log.Warn("request failed", zap.String("endpoint", endpoint), zap.Int("code", code), zap.Error(err))
	}
	if asJSON {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		g.reply(w, endpoint, code, "application/json", append(b, '\n'))
		return
	}
	g.reply(w, endpoint, code, "text/plain; charset=utf-8", []byte(err.Error()+"\n"))
}

// statusOf maps Infer's errors to HTTP status codes.
func statusOf(err error) int {
	var ie *InputError
	var re *RemoteError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &ie):
		return http.StatusBadRequest
	case errors.As(err, &mb), errors.Is(err, npy.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBusy), errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.As(err, &re):
		return http.StatusBadGateway
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return 499 // the client went away
	}
	return http.StatusInternalServerError
}

// countingReader counts body bytes for the metrics.
type countingReader struct {
	r io.Reader
	c *counter
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.c.add(uint64(n))
	return n, err
}

func (g *Gateway) body(w http.ResponseWriter, r *http.Request) io.Reader {
	return countingReader{r: http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes), c: &g.m.httpIn}
}

// serveInput is the original tool's endpoint: a .npy body holding the
// model's single input, answered with the .npy of its first output.
func (g *Gateway) serveInput(w http.ResponseWriter, r *http.Request) {
	const ep = "/input"
	if len(g.cfg.Inputs) != 1 {
		g.fail(w, ep, http.StatusBadRequest, fmt.Errorf("/input serves models with one input; this one has %d: use /v2/models/%s/infer",
			len(g.cfg.Inputs), g.cfg.ModelName), false)
		return
	}
	t, err := npy.Read(g.body(w, r), g.cfg.MaxBodyBytes)
	if err != nil {
		code := statusOf(err)
		if code != http.StatusRequestEntityTooLarge {
			code = http.StatusBadRequest
		}
		g.fail(w, ep, code, fmt.Errorf("request body is not a valid .npy file: %w", err), false)
		return
	}
	ctx, err := withHeaderTimeout(r)
	if err != nil {
		g.fail(w, ep, http.StatusBadRequest, err, false)
		return
	}
	outs, err := g.Infer(ctx, map[string]*tensor.Tensor{g.cfg.Inputs[0].Name: t})
	if err != nil {
		g.fail(w, ep, statusOf(err), err, false)
		return
	}
	b, err := npy.EncodeBytes(outs[g.cfg.Outputs[0].Name])
	if err != nil {
		g.fail(w, ep, http.StatusInternalServerError, fmt.Errorf("encode output %q: %w", g.cfg.Outputs[0].Name, err), false)
		return
	}
	g.reply(w, ep, http.StatusOK, "application/octet-stream", b)
}

// serveCompat answers /connect and /activate: the chain connects itself,
// so these only report whether it is ready.
func (g *Gateway) serveCompat(w http.ResponseWriter, r *http.Request) {
	err := g.Ready(r.Context())
	status := map[string]any{"status": "ready", "model": g.cfg.ModelName, "first": g.cfg.First, "stages": g.cfg.Stages}
	if err != nil {
		status["status"] = "not ready"
		status["error"] = err.Error()
	}
	g.replyJSON(w, r.URL.Path, http.StatusOK, status)
}

// Identity headers on readiness answers: the model a gateway serves and the
// digest of its partition manifest.
const (
	HeaderModel          = "Papdl-Model"
	HeaderManifestSHA256 = "Papdl-Manifest-Sha256"
)

func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	ep := "/v2/health/ready"
	w.Header().Set(HeaderModel, g.cfg.ModelName)
	if g.cfg.ManifestSHA256 != "" {
		w.Header().Set(HeaderManifestSHA256, g.cfg.ManifestSHA256)
	}
	if name := r.PathValue("name"); name != "" {
		ep = "/v2/models/{name}/ready"
		if name != g.cfg.ModelName {
			g.fail(w, ep, http.StatusNotFound, fmt.Errorf("unknown model %q", name), true)
			return
		}
	}
	if err := g.Ready(r.Context()); err != nil {
		g.fail(w, ep, http.StatusServiceUnavailable, err, true)
		return
	}
	g.reply(w, ep, http.StatusOK, "text/plain", []byte("ready\n"))
}

func (g *Gateway) serveModelMeta(w http.ResponseWriter, r *http.Request) {
	const ep = "/v2/models/{name}"
	if name := r.PathValue("name"); name != g.cfg.ModelName {
		g.fail(w, ep, http.StatusNotFound, fmt.Errorf("unknown model %q (this gateway serves %q)", name, g.cfg.ModelName), true)
		return
	}
	meta := oipModelMeta{Name: g.cfg.ModelName, Versions: []string{"1"}, Platform: "onnx"}
	for _, v := range g.cfg.Inputs {
		meta.Inputs = append(meta.Inputs, oipMeta{Name: v.Name, Datatype: oipTypeName(v.DType), Shape: v.Shape})
	}
	for _, v := range g.cfg.Outputs {
		meta.Outputs = append(meta.Outputs, oipMeta{Name: v.Name, Datatype: oipTypeName(v.DType), Shape: v.Shape})
	}
	g.replyJSON(w, ep, http.StatusOK, meta)
}
