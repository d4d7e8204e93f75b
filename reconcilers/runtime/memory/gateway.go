package memory

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// serveHTTP routes /port/<port>/<path> to the gateway bound to port.
func (r *Runtime) serveHTTP(w http.ResponseWriter, req *http.Request) {
	rest, ok := strings.CutPrefix(req.URL.Path, "/port/")
	portStr, path, _ := strings.Cut(rest, "/")
	port, err := strconv.Atoi(portStr)
	if !ok || err != nil {
		http.NotFound(w, req)
		return
	}
	gw, parts, err := r.gatewayOn(port)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set(chain.HeaderModel, gw.w.Model)
	if gw.route == nil {
		http.Error(w, "gateway: no route yet", http.StatusServiceUnavailable)
		return
	}
	dir := filepath.Dir(gw.route.Manifest)
	man, err := slice.ReadManifest(dir)
	if err != nil {
		http.Error(w, "gateway: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set(chain.HeaderManifestSHA256, man.SHA256)
	switch {
	case req.Method == http.MethodGet && path == "v2/models/"+gw.w.Model+"/ready":
		if err := chainWhole(man, parts); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	case req.Method == http.MethodGet && strings.HasPrefix(path, "v2/models/"):
		http.Error(w, "unknown model", http.StatusNotFound)
	case req.Method == http.MethodPost && path == "input":
		r.predict(w, req, dir, man, parts)
	default:
		http.NotFound(w, req)
	}
}

// chainWhole checks that every partition of the manifest runs with the
// manifest's content.
func chainWhole(man *slice.Manifest, parts map[int]*workload) error {
	for _, p := range man.Partitions {
		w, ok := parts[p.Index]
		switch {
		case !ok:
			return fmt.Errorf("partition %d is not running", p.Index)
		case w.w.ArtifactSHA256 != p.SHA256:
			return fmt.Errorf("partition %d runs other content than the gateway's manifest", p.Index)
		}
	}
	return nil
}

// predict runs the deployed partitions in sequence on one .npy input.
func (r *Runtime) predict(w http.ResponseWriter, req *http.Request, dir string, man *slice.Manifest, parts map[int]*workload) {
	if err := chainWhole(man, parts); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in, err := npy.DecodeBytes(body)
	if err != nil || len(man.Inputs) != 1 {
		http.Error(w, fmt.Sprintf("bad input: %v", err), http.StatusBadRequest)
		return
	}
	c, err := slice.LoadChain(dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	outs, err := c.Run(req.Context(), map[string]*tensor.Tensor{man.Inputs[0].Name: in})
	if err != nil || len(man.Outputs) == 0 {
		http.Error(w, fmt.Sprintf("chain: %v", err), http.StatusBadGateway)
		return
	}
	var buf bytes.Buffer
	if err := npy.Encode(&buf, outs[man.Outputs[0].Name]); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf.Bytes())
}
