package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/store"
)

// ResourcePath is the collection of DistributedModels.
const ResourcePath = "/apis/papdl.io/v1alpha1/distributedmodels"

// MaxRequestBytes bounds a request body (a spec).
const MaxRequestBytes = 1 << 20

// Server answers the API's requests over the controller's directories.
type Server struct {
	specsDir string
	store    *store.Store
	specs    *distributedmodel.SpecIndex
	tokens   Tokens
	version  string
	log      *zap.Logger
	// watchEvery is how often a watch polls the state.
	watchEvery time.Duration
	// writes serialises applies and deletes: port admission reads the
	// specs directory and must see the previous write.
	writes  sync.Mutex
	metrics *metrics
	differ  Differ
	// diffs serialises dry runs: one may slice a model.
	diffs sync.Mutex
	// logs is the controller's runtime, for GET .../NAME/logs.
	logs objects.LogRuntime
}

// Differ runs the reconcile of a declaration in dry-run mode
// (*distributedmodel.Reconciler).
type Differ interface {
	Diff(ctx context.Context, decl distributedmodel.Declaration) (*distributedmodel.Diff, error)
}

// ServerConfig configures a Server.
type ServerConfig struct {
	SpecsDir string
	Store    *store.Store
	Tokens   Tokens
	// Version is reported by GET /version.
	Version string
	Log     *zap.Logger
	// WatchEvery is how often watches poll the state (500ms when zero).
	WatchEvery time.Duration
	// Gatherers are served at /metrics with the API's own metrics (the
	// controller's reconcile metrics, for instance).
	Gatherers []prometheus.Gatherer
	// Differ answers POST .../NAME/diff; without one it answers 501.
	Differ Differ
	// Logs is the runtime GET .../NAME/logs reads; without one it answers
	// 501.
	Logs objects.LogRuntime
}

// NewServer makes a server; Handler serves it.
func NewServer(c ServerConfig) *Server {
	s := &Server{specsDir: c.SpecsDir, store: c.Store, specs: distributedmodel.NewSpecIndex(c.SpecsDir),
		tokens: c.Tokens, version: c.Version, log: c.Log, watchEvery: c.WatchEvery, metrics: newMetrics(c.Store, c.Gatherers), differ: c.Differ, logs: c.Logs}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.watchEvery <= 0 {
		s.watchEvery = 500 * time.Millisecond
	}
	return s
}

// Handler routes the API's requests, each authenticated first.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	item := ResourcePath + "/{name}"
	mux.HandleFunc("GET /version", s.getVersion)
	mux.Handle("GET /metrics", s.metrics.handler)
	mux.HandleFunc("GET "+ResourcePath, s.list)
	mux.HandleFunc("GET "+item, s.get)
	mux.HandleFunc("PUT "+item, s.apply)
	mux.HandleFunc("DELETE "+item, s.delete)
	mux.HandleFunc("PATCH "+item, s.patch)
	mux.HandleFunc("GET "+item+"/status", s.getStatus)
	mux.HandleFunc("GET "+item+"/events", s.getEvents)
	mux.HandleFunc("GET "+item+"/plan", s.getPlan)
	mux.HandleFunc("GET "+item+"/observation", s.getObservation)
	mux.HandleFunc("GET "+item+"/logs", s.getLogs)
	mux.HandleFunc("POST "+item+"/diff", s.diff)
	return s.metrics.instrument(s.authenticate(mux))
}

// authenticate answers 401 to a request without a valid bearer token and
// 403 to a read-only token asking for anything but GET.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		access := AccessNone
		if ok {
			access = s.tokens.Check(strings.TrimSpace(token))
		}
		switch {
		case access == AccessNone:
			w.Header().Set("WWW-Authenticate", `Bearer realm="papdl"`)
			writeStatus(w, http.StatusUnauthorized, "Unauthorized", "a valid bearer token is required")
			return
		case access == AccessReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead:
			writeStatus(w, http.StatusForbidden, "Forbidden", "the token is read-only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Status is the body of an error response, as Kubernetes shapes it.
type Status struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, Status{Kind: "Status", Status: "Failure", Reason: reason, Message: msg, Code: code})
}

// writeError maps an error to its status code.
func writeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, objects.ErrNotFound):
		writeStatus(w, http.StatusNotFound, "NotFound", err.Error())
	case errors.Is(err, objects.ErrInvalid), errors.Is(err, store.ErrInvalidName):
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", err.Error())
	default:
		writeStatus(w, http.StatusInternalServerError, "InternalError", err.Error())
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"kind":"Status","status":"Failure","reason":"InternalError","message":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// name returns the request's model name, or answers 422 and "".
func name(w http.ResponseWriter, r *http.Request) string {
	n := r.PathValue("name")
	if err := v1alpha1.ValidateName(n); err != nil {
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", fmt.Sprintf("name %q: %v", n, err))
		return ""
	}
	return n
}

// Version is the body of GET /version.
type Version struct {
	Version string `json:"version"`
}

func (s *Server) getVersion(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, Version{Version: s.version})
}

// List is the body of a list: the models the controller has state of.
type List struct {
	APIVersion string                       `json:"apiVersion"`
	Kind       string                       `json:"kind"`
	Items      []*v1alpha1.DistributedModel `json:"items"`
}

func (s *Server) objects(names []string, sel labels.Selector) ([]*v1alpha1.DistributedModel, error) {
	recs, err := objects.LoadRecords(s.store, names)
	if err != nil {
		return nil, err
	}
	recs = objects.Select(recs, sel)
	out := make([]*v1alpha1.DistributedModel, len(recs))
	for i, r := range recs {
		out[i] = objects.AsObject(r)
	}
	return out, nil
}

// selector reads the request's labelSelector, or answers 400 and false.
func selector(w http.ResponseWriter, r *http.Request) (labels.Selector, bool) {
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return nil, false
	}
	return sel, true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	sel, ok := selector(w, r)
	if !ok {
		return
	}
	if isWatch(r) {
		s.watch(w, r, "", sel)
		return
	}
	items, err := s.objects(nil, sel)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, List{APIVersion: v1alpha1.APIVersion, Kind: "DistributedModelList", Items: items})
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	if isWatch(r) {
		s.watch(w, r, n, nil)
		return
	}
	items, err := s.objects([]string{n}, nil)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, items[0])
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	items, err := s.objects([]string{n}, nil)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, items[0].Status)
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		var err error
		if limit, err = strconv.Atoi(l); err != nil || limit < 0 {
			writeStatus(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("limit %q: want a count", l))
			return
		}
	}
	evs, err := s.store.Events(n, limit)
	if err != nil {
		writeError(w, err)
		return
	}
	if evs == nil {
		evs = []store.Event{}
	}
	writeJSON(w, http.StatusOK, evs)
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	plan, err := objects.LoadPlan(s.store, n)
	if err != nil {
		writeError(w, err)
		return
	}
	if plan == nil {
		writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("distributedmodel %q has no plan", n))
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

// getObservation serves what `papdlctl wait` and `describe` decide on: the
// controller's full record next to the spec declared now.
func (s *Server) getObservation(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	writeJSON(w, http.StatusOK, objects.Observe(s.store, s.specs, n))
}

// readBody reads the request's body (MaxRequestBytes at most), or answers
// the error and returns false.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeStatus(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("a spec may have at most %d bytes", MaxRequestBytes))
			return nil, false
		}
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return nil, false
	}
	return data, true
}

// readSpec reads the request's body as one valid DistributedModel named
// as the path says, or answers the error and returns false.
func readSpec(w http.ResponseWriter, r *http.Request, n string) (objects.Input, bool) {
	data, ok := readBody(w, r)
	if !ok {
		return objects.Input{}, false
	}
	inputs, err := objects.Decode(data, "request body", "")
	if err != nil {
		writeError(w, err)
		return objects.Input{}, false
	}
	if len(inputs) != 1 || inputs[0].Name != n {
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", fmt.Sprintf("the body must be one DistributedModel named %q", n))
		return objects.Input{}, false
	}
	return inputs[0], true
}

// diff runs the reconcile of the body's spec in dry-run mode.
func (s *Server) diff(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	in, ok := readSpec(w, r, n)
	if !ok {
		return
	}
	if s.differ == nil {
		writeStatus(w, http.StatusNotImplemented, "NotImplemented", "this server runs no dry runs")
		return
	}
	decls := distributedmodel.Declarations(in.Doc, "request body")
	if len(decls) != 1 {
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", "expected one document")
		return
	}
	s.diffs.Lock()
	d, err := s.differ.Diff(r.Context(), decls[0])
	s.diffs.Unlock()
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "DiffFailed", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	in, ok := readSpec(w, r, n)
	if !ok {
		return
	}
	inputs := []objects.Input{in}
	s.writes.Lock()
	results, err := objects.Apply(s.specsDir, inputs)
	s.writes.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	code := http.StatusOK
	if results[0].Verb == "created" {
		code = http.StatusCreated
	}
	s.log.Info("spec applied through the API", zap.String("name", n), zap.String("result", results[0].Verb))
	writeJSON(w, code, results[0])
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	s.writes.Lock()
	err := objects.Delete(s.specsDir, n)
	s.writes.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	s.log.Info("spec deleted through the API", zap.String("name", n))
	writeJSON(w, http.StatusOK, objects.Result{Name: n, Verb: "deleted"})
}

// patch applies the body, a JSON merge patch, to the model's spec
// (suspend, resume, reconcile requests, relabelling).
func (s *Server) patch(w http.ResponseWriter, r *http.Request) {
	n := name(w, r)
	if n == "" {
		return
	}
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	s.writes.Lock()
	res, err := objects.Patch(s.specsDir, n, data)
	s.writes.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	s.log.Info("spec patched through the API", zap.String("name", n), zap.String("result", res.Verb))
	writeJSON(w, http.StatusOK, res)
}
