package chain

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
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
//	PUT  /papdl/route                 a new route, signed (see route.go)
//	GET  /papdl/route                 the current and pending routes
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /input", g.authorized("/input", false, g.serveInput))
	mux.HandleFunc("GET /connect", g.serveCompat)
	mux.HandleFunc("GET /activate", g.serveCompat)
	mux.HandleFunc("POST /v2/models/{name}/infer", g.authorized("/v2/models/{name}/infer", true, g.serveInfer))
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", g.authorized("/v2/models/{name}/infer", true, g.serveInfer))
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
	mux.HandleFunc("PUT "+RoutePath, g.serveRoute)
	mux.HandleFunc("GET "+RoutePath, func(w http.ResponseWriter, r *http.Request) {
		g.replyJSON(w, RoutePath, http.StatusOK, g.RouteStatus())
	})
	return mux
}

// authorized wraps an inference handler with the bearer token check when
// the gateway has a token; the body is not read for a refused request.
func (g *Gateway) authorized(endpoint string, asJSON bool, h http.HandlerFunc) http.HandlerFunc {
	if g.cfg.Token == "" {
		return h
	}
	want := sha256.Sum256([]byte("Bearer " + g.cfg.Token))
	return func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="papdl"`)
			g.m.errors.with("unauthorized").inc()
			g.fail(w, endpoint, http.StatusUnauthorized, errors.New("a valid bearer token is required"), asJSON)
			return
		}
		h(w, r)
	}
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
// inference protocol). Server-side failures are logged in full and answered
// with clientText, which names no request id and no internal address.
func (g *Gateway) fail(w http.ResponseWriter, endpoint string, code int, err error, asJSON bool) {
	text := err.Error()
	if code >= 500 {
		g.log.Warn("request failed", zap.String("endpoint", endpoint), zap.Int("code", code), zap.Error(err))
		text = clientText(code, err)
	}
	if asJSON {
		b, _ := json.Marshal(map[string]string{"error": text})
		g.reply(w, endpoint, code, "application/json", append(b, '\n'))
		return
	}
	g.reply(w, endpoint, code, "text/plain; charset=utf-8", []byte(text+"\n"))
}

// clientText is what a client learns of a server-side failure.
func clientText(code int, err error) string {
	var re *RemoteError
	switch {
	case errors.As(err, &re):
		return re.Msg // written by the partitions for clients: no addresses
	case errors.Is(err, ErrBusy):
		return ErrBusy.Error()
	case errors.Is(err, ErrUnavailable):
		return ErrUnavailable.Error() + ": partition 0 cannot be reached"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer from the chain before the request's deadline"
	}
	return http.StatusText(code)
}

// readyText says why the chain is not ready without internal addresses
// or request ids.
func readyText(err error) string {
	var re *RemoteError
	switch {
	case errors.As(err, &re):
		return re.Msg
	case errors.Is(err, ErrUnavailable):
		return ErrUnavailable.Error() + ": partition 0 cannot be reached"
	case errors.Is(err, context.DeadlineExceeded):
		return "the readiness ping did not come back"
	case errors.Is(err, errPingPath):
		return err.Error()
	}
	return "the chain is not ready"
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

func (g *Gateway) body(w http.ResponseWriter, r *http.Request, limit int64) io.Reader {
	return countingReader{r: http.MaxBytesReader(w, r.Body, limit), c: &g.m.httpIn}
}

// admit takes one of the slots for requests whose bodies are read and held,
// waiting at most the request timeout; release it when the handler ends.
func (g *Gateway) admit(r *http.Request) (release func(), err error) {
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.Timeout)
	defer cancel()
	select {
	case g.bodies <- struct{}{}:
		return func() { <-g.bodies }, nil
	case <-ctx.Done():
		g.m.errors.with("busy").inc()
		return nil, fmt.Errorf("%w (%d request bodies held): %w", ErrBusy, cap(g.bodies), ctx.Err())
	}
}

// npyLimit bounds a .npy body: the model's single input plus room for the
// header, so a header declaring a larger array is refused before the
// array is allocated.
func (rt *route) npyLimit() int64 {
	return min(rt.maxBody, expectedBytes(rt.inputs[:1])+64<<10)
}

// routeFor waits for the gateway's first route within the request's
// deadline.
func (g *Gateway) routeFor(r *http.Request) (*route, error) {
	ctx, err := withHeaderTimeout(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, g.requestTimeout(ctx))
	defer cancel()
	return g.awaitRoute(ctx)
}

// serveInput is the original tool's endpoint: a .npy body holding the
// model's single input, answered with the .npy of its first output.
func (g *Gateway) serveInput(w http.ResponseWriter, r *http.Request) {
	const ep = "/input"
	release, err := g.admit(r)
	if err != nil {
		g.fail(w, ep, statusOf(err), err, false)
		return
	}
	defer release()
	rt, err := g.routeFor(r)
	if err != nil {
		g.fail(w, ep, statusOf(err), err, false)
		return
	}
	if len(rt.inputs) != 1 {
		g.fail(w, ep, http.StatusBadRequest, fmt.Errorf("/input serves models with one input; this one has %d: use /v2/models/%s/infer",
			len(rt.inputs), g.cfg.ModelName), false)
		return
	}
	t, err := npy.Read(g.body(w, r, rt.npyLimit()), rt.npyLimit())
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
	outs, err := g.Infer(ctx, map[string]*tensor.Tensor{rt.inputs[0].Name: t})
	if err != nil {
		g.fail(w, ep, statusOf(err), err, false)
		return
	}
	b, err := npy.EncodeBytes(outs[rt.outputs[0].Name])
	if err != nil {
		g.fail(w, ep, http.StatusInternalServerError, fmt.Errorf("encode output %q: %w", rt.outputs[0].Name, err), false)
		return
	}
	g.reply(w, ep, http.StatusOK, "application/octet-stream", b)
}

// serveCompat answers /connect and /activate: the chain connects itself,
// so these only report whether it is ready.
func (g *Gateway) serveCompat(w http.ResponseWriter, r *http.Request) {
	err := g.Ready(r.Context())
	stages := 0
	if rt := g.current(); rt != nil {
		stages = rt.stages
	}
	status := map[string]any{"status": "ready", "model": g.cfg.ModelName, "stages": stages}
	if err != nil {
		g.log.Info("chain not ready", zap.Error(err))
		status["status"] = "not ready"
		status["error"] = readyText(err)
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
	if rt := g.current(); rt != nil && rt.spec.ManifestSHA256 != "" {
		w.Header().Set(HeaderManifestSHA256, rt.spec.ManifestSHA256)
	}
	if name := r.PathValue("name"); name != "" {
		ep = "/v2/models/{name}/ready"
		if name != g.cfg.ModelName {
			g.fail(w, ep, http.StatusNotFound, fmt.Errorf("unknown model %q", name), true)
			return
		}
	}
	if err := g.Ready(r.Context()); err != nil {
		g.log.Info("chain not ready", zap.Error(err))
		g.fail(w, ep, http.StatusServiceUnavailable, errors.New(readyText(err)), true)
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
	rt := g.current()
	if rt == nil {
		g.fail(w, ep, http.StatusServiceUnavailable, fmt.Errorf("%w: no route yet", ErrUnavailable), true)
		return
	}
	meta := oipModelMeta{Name: g.cfg.ModelName, Versions: []string{"1"}, Platform: "onnx"}
	for _, v := range rt.inputs {
		meta.Inputs = append(meta.Inputs, oipMeta{Name: v.Name, Datatype: oipTypeName(v.DType), Shape: v.Shape})
	}
	for _, v := range rt.outputs {
		meta.Outputs = append(meta.Outputs, oipMeta{Name: v.Name, Datatype: oipTypeName(v.DType), Shape: v.Shape})
	}
	g.replyJSON(w, ep, http.StatusOK, meta)
}
