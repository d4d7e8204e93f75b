package chain

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/papdl/papdl/inference/tensor"
)

const binaryHeader = "Inference-Header-Content-Length"

// serveInfer is POST /v2/models/{name}/infer.
func (g *Gateway) serveInfer(w http.ResponseWriter, r *http.Request) {
	const ep = "/v2/models/{name}/infer"
	if name := r.PathValue("name"); name != g.cfg.ModelName {
		g.fail(w, ep, http.StatusNotFound, fmt.Errorf("unknown model %q (this gateway serves %q)", name, g.cfg.ModelName), true)
		return
	}
	release, err := g.admit(r)
	if err != nil {
		g.fail(w, ep, statusOf(err), err, true)
		return
	}
	defer release()
	rt, err := g.routeFor(r)
	if err != nil {
		g.fail(w, ep, statusOf(err), err, true)
		return
	}
	body, err := io.ReadAll(g.body(w, r, rt.maxBody))
	if err != nil {
		code := statusOf(err)
		if code != http.StatusRequestEntityTooLarge {
			code = http.StatusBadRequest
		}
		g.fail(w, ep, code, fmt.Errorf("read request body: %w", err), true)
		return
	}
	req, inputs, err := rt.parseInfer(body, r.Header.Get(binaryHeader))
	if err != nil {
		g.fail(w, ep, http.StatusBadRequest, err, true)
		return
	}
	ctx, err := withHeaderTimeout(r)
	if err == nil {
		ctx, err = withParameterTimeout(ctx, req.Parameters)
	}
	if err != nil {
		g.fail(w, ep, http.StatusBadRequest, err, true)
		return
	}
	outs, err := g.Infer(ctx, inputs)
	if err != nil {
		g.fail(w, ep, statusOf(err), err, true)
		return
	}
	header, tail, binary, err := g.encodeInfer(rt, req, outs)
	if err != nil {
		g.fail(w, ep, http.StatusBadRequest, err, true)
		return
	}
	if !binary {
		g.reply(w, ep, http.StatusOK, "application/json", header)
		return
	}
	w.Header().Set(binaryHeader, strconv.Itoa(len(header)))
	g.reply(w, ep, http.StatusOK, "application/octet-stream", append(header, tail...))
}

func (rt *route) parseInfer(body []byte, headerLen string) (*oipRequest, map[string]*tensor.Tensor, error) {
	head, binary, err := splitBinary(body, headerLen)
	if err != nil {
		return nil, nil, err
	}
	var req oipRequest
	if err := decodeStrictJSON(head, &req); err != nil {
		return nil, nil, fmt.Errorf("malformed inference request JSON: %w", err)
	}
	if len(req.Inputs) == 0 {
		return nil, nil, fmt.Errorf("the request has no inputs; the model expects %d", len(rt.inputs))
	}
	inputs := make(map[string]*tensor.Tensor, len(req.Inputs))
	for _, in := range req.Inputs {
		if _, dup := inputs[in.Name]; dup {
			return nil, nil, fmt.Errorf("input %q given twice", in.Name)
		}
		// Check the declaration against the model before allocating.
		if err := rt.checkDeclared(in); err != nil {
			return nil, nil, err
		}
		t, rest, err := decodeInput(in, binary)
		if err != nil {
			return nil, nil, err
		}
		binary = rest
		inputs[in.Name] = t
	}
	if len(binary) > 0 {
		return nil, nil, fmt.Errorf("%d binary bytes after the inputs' binary_data_size", len(binary))
	}
	return &req, inputs, nil
}

// checkDeclared compares an input's declared name, datatype and shape with
// the model's, so that nothing is allocated for a request the model cannot
// take.
func (rt *route) checkDeclared(in oipTensor) error {
	if _, ok := oipTypes()[in.Datatype]; !ok {
		return &InputError{Msg: fmt.Sprintf("input %q: unsupported datatype %q", in.Name, in.Datatype)}
	}
	for _, v := range rt.inputs {
		if v.Name != in.Name {
			continue
		}
		ok := in.Datatype == oipTypeName(v.DType) && len(in.Shape) == len(v.Shape)
		for i := 0; ok && i < len(v.Shape); i++ {
			ok = in.Shape[i] == int64(v.Shape[i])
		}
		if !ok {
			return &InputError{Msg: fmt.Sprintf("Input dimensions does not match the model: input %q is %s%v, the model expects %s%v",
				in.Name, in.Datatype, in.Shape, oipTypeName(v.DType), v.Shape)}
		}
		return nil
	}
	return &InputError{Msg: fmt.Sprintf("unknown input %q", in.Name)}
}

// encodeInfer builds the response JSON and, for outputs requested as
// binary, the binary tail; binary reports whether any output is binary.
func (g *Gateway) encodeInfer(rt *route, req *oipRequest, outs map[string]*tensor.Tensor) (head, tail []byte, binary bool, err error) {
	allBinary, err := boolParam(req.Parameters, "binary_data_output")
	if err != nil {
		return nil, nil, false, err
	}
	type want struct {
		name   string
		binary bool
	}
	var wants []want
	if len(req.Outputs) == 0 {
		for _, v := range rt.outputs {
			wants = append(wants, want{v.Name, allBinary})
		}
	}
	for _, o := range req.Outputs {
		if _, ok := outs[o.Name]; !ok {
			return nil, nil, false, fmt.Errorf("unknown output %q", o.Name)
		}
		b, err := boolParam(o.Parameters, "binary_data")
		if err != nil {
			return nil, nil, false, fmt.Errorf("output %q: %w", o.Name, err)
		}
		if _, set := o.Parameters["binary_data"]; !set {
			b = allBinary
		}
		wants = append(wants, want{o.Name, b})
	}
	resp := oipResponse{ModelName: g.cfg.ModelName, ID: req.ID}
	for _, wt := range wants {
		t := outs[wt.name]
		o := oipOutput{Name: wt.name, Shape: t.Shape, Datatype: oipTypeName(t.DType)}
		if wt.binary {
			binary = true
			raw, err := t.RawBytes()
			if err != nil {
				return nil, nil, false, fmt.Errorf("output %q: %w", wt.name, err)
			}
			o.Parameters = map[string]any{"binary_data_size": len(raw)}
			tail = append(tail, raw...)
		} else {
			data, err := appendJSONData(nil, t)
			if err != nil {
				return nil, nil, false, fmt.Errorf("output %q: %w", wt.name, err)
			}
			o.Data = data
		}
		resp.Outputs = append(resp.Outputs, o)
	}
	head, err = json.Marshal(resp)
	if err != nil {
		return nil, nil, false, fmt.Errorf("encode response: %w", err)
	}
	return head, tail, binary, nil
}
