package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/papdl/papdl/inference/chain/chainauth"
)

// The route endpoint: PUT /papdl/route takes a SignedRoute, GET
// /papdl/route reports the RouteStatus. A route must be signed with the
// model's chain credentials (the controller keeps them): a gateway started
// without credentials refuses every route sent over HTTP.

// RoutePath is the gateway's route endpoint.
const RoutePath = "/papdl/route"

// maxRouteBytes bounds a route request's body.
const maxRouteBytes = 64 << 10

// SignedRoute is a RouteSpec signed for one model's gateway.
type SignedRoute struct {
	// Route is the RouteSpec's JSON, as signed.
	Route []byte `json:"route"`
	// Signature is chainauth's signature of routeMessage(model, Route).
	Signature []byte `json:"signature"`
}

// routeMessage is what a route's signature covers: the purpose, the model
// (a route for one model is no good for another's gateway, even where two
// models shared credentials) and the route.
func routeMessage(model string, route []byte) []byte {
	return append([]byte("papdl-route-v1\x00"+model+"\x00"), route...)
}

// SignRoute signs spec for model's gateway.
func SignRoute(creds *chainauth.Credentials, model string, spec RouteSpec) (SignedRoute, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return SignedRoute{}, fmt.Errorf("encode route: %w", err)
	}
	sig, err := creds.Sign(routeMessage(model, b))
	if err != nil {
		return SignedRoute{}, err
	}
	return SignedRoute{Route: b, Signature: sig}, nil
}

// SendRoute signs spec with the model's credentials and sends it to the
// gateway at baseURL.
func SendRoute(ctx context.Context, client *http.Client, baseURL string, creds *chainauth.Credentials, model string, spec RouteSpec) (RouteStatus, error) {
	signed, err := SignRoute(creds, model, spec)
	if err != nil {
		return RouteStatus{}, err
	}
	return PushRoute(ctx, client, baseURL, signed)
}

// PushRoute sends a signed route to the gateway at baseURL (its HTTP API)
// and returns the gateway's route status after taking it.
func PushRoute(ctx context.Context, client *http.Client, baseURL string, r SignedRoute) (RouteStatus, error) {
	var st RouteStatus
	body, err := json.Marshal(r)
	if err != nil {
		return st, fmt.Errorf("encode route: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, baseURL+RoutePath, bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	req.Header.Set("Content-Type", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return st, fmt.Errorf("send route to %s: %w", baseURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRouteBytes))
	if err != nil {
		return st, fmt.Errorf("send route to %s: %w", baseURL, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return st, fmt.Errorf("send route to %s: %s: %s", baseURL, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("send route to %s: the answer: %w", baseURL, err)
	}
	return st, nil
}

// serveRoute is PUT /papdl/route.
func (g *Gateway) serveRoute(w http.ResponseWriter, r *http.Request) {
	const ep = RoutePath
	if g.cfg.Auth == nil {
		g.fail(w, ep, http.StatusForbidden, errors.New("this gateway has no chain credentials to check routes with"), true)
		return
	}
	body, err := io.ReadAll(g.body(w, r, maxRouteBytes))
	if err != nil {
		g.fail(w, ep, statusOf(err), fmt.Errorf("route: %w", err), true)
		return
	}
	var sr SignedRoute
	if err := decodeStrictJSON(body, &sr); err != nil {
		g.fail(w, ep, http.StatusBadRequest, fmt.Errorf("route: %w", err), true)
		return
	}
	if err := g.cfg.Auth.Verify(routeMessage(g.cfg.ModelName, sr.Route), sr.Signature); err != nil {
		g.m.errors.with("unauthorized").inc()
		g.fail(w, ep, http.StatusUnauthorized, fmt.Errorf("route: %w", err), true)
		return
	}
	var spec RouteSpec
	if err := decodeStrictJSON(sr.Route, &spec); err != nil {
		g.fail(w, ep, http.StatusBadRequest, fmt.Errorf("route: %w", err), true)
		return
	}
	st, err := g.Propose(spec)
	if err != nil {
		g.fail(w, ep, http.StatusConflict, err, true)
		return
	}
	code := http.StatusOK
	if st.Pending != nil {
		code = http.StatusAccepted
	}
	g.replyJSON(w, ep, code, st)
}
