package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/store"
)

// Client calls the API as one context of a papdlconfig file.
type Client struct {
	server string
	token  string
	http   *http.Client
}

// maxResponseBytes bounds a response body read whole.
const maxResponseBytes = 64 << 20

// NewClient makes a client that trusts only the context's CA.
func NewClient(c Context) (*Client, error) {
	if !strings.HasPrefix(c.Server, "https://") {
		return nil, fmt.Errorf("context %s: server %q: want an https:// URL", c.Name, c.Server)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CertificateAuthorityData) {
		return nil, fmt.Errorf("context %s: certificateAuthorityData holds no PEM certificate", c.Name)
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     time.Minute,
	}
	return &Client{server: strings.TrimRight(c.Server, "/"), token: c.Token, http: &http.Client{Transport: tr}}, nil
}

// Server is the API's base URL.
func (c *Client) Server() string { return c.server }

// APIError is an error response.
type APIError struct {
	Code   int
	Status Status
}

func (e *APIError) Error() string {
	if e.Status.Message != "" {
		return e.Status.Message
	}
	return fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
}

// Is lets errors.Is match objects.ErrNotFound on 404 and objects.ErrInvalid
// on 422.
func (e *APIError) Is(target error) bool {
	return (target == objects.ErrNotFound && e.Code == http.StatusNotFound) ||
		(target == objects.ErrInvalid && e.Code == http.StatusUnprocessableEntity)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		ct := "application/yaml"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.server+path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.server+path, err)
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Code: resp.StatusCode}
		_ = json.Unmarshal(data, &e.Status)
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode response: %w", method, c.server+path, err)
		}
	}
	return nil
}

func itemPath(name, sub string) string {
	p := ResourcePath + "/" + url.PathEscape(name)
	if sub != "" {
		p += "/" + sub
	}
	return p
}

// Version is the server's version.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v Version
	err := c.do(ctx, http.MethodGet, "/version", nil, &v)
	return v.Version, err
}

// List returns every model the controller has state of that sel matches.
func (c *Client) List(ctx context.Context, sel labels.Selector) ([]*v1alpha1.DistributedModel, error) {
	var l List
	path := ResourcePath
	if !sel.Empty() {
		path += "?labelSelector=" + url.QueryEscape(sel.String())
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Get returns one model.
func (c *Client) Get(ctx context.Context, name string) (*v1alpha1.DistributedModel, error) {
	var obj v1alpha1.DistributedModel
	if err := c.do(ctx, http.MethodGet, itemPath(name, ""), nil, &obj); err != nil {
		return nil, err
	}
	return &obj, nil
}

// Observe returns the controller's record of a model and its current
// declaration.
func (c *Client) Observe(ctx context.Context, name string) (objects.Observation, error) {
	var o objects.Observation
	err := c.do(ctx, http.MethodGet, itemPath(name, "observation"), nil, &o)
	return o, err
}

// Records returns the records of the named models, or of every model with
// state when names is empty, that sel matches.
func (c *Client) Records(ctx context.Context, names []string, sel labels.Selector) ([]*distributedmodel.Record, error) {
	if len(names) == 0 {
		items, err := c.List(ctx, sel)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			names = append(names, it.Name)
		}
	}
	var out []*distributedmodel.Record
	for _, n := range names {
		o, err := c.Observe(ctx, n)
		if err != nil {
			return nil, err
		}
		switch {
		case o.Record != nil:
			out = append(out, o.Record)
		case o.RecordError != "":
			rec := &distributedmodel.Record{Name: n}
			rec.Status.Conditions = []v1alpha1.Condition{{Type: v1alpha1.ConditionReady, Status: v1alpha1.ConditionUnknown,
				Reason: "StateUnreadable", Message: o.RecordError}}
			out = append(out, rec)
		default:
			return nil, fmt.Errorf("distributedmodel %q not found at %s: %w", n, c.server, objects.ErrNotFound)
		}
	}
	return objects.Select(out, sel), nil
}

// Plan returns a model's current plan; nil when it has none.
func (c *Client) Plan(ctx context.Context, name string) (*planner.Plan, error) {
	var p planner.Plan
	err := c.do(ctx, http.MethodGet, itemPath(name, "plan"), nil, &p)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Events returns a model's latest events (all when limit is 0).
func (c *Client) Events(ctx context.Context, name string, limit int) ([]store.Event, error) {
	var evs []store.Event
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?limit=%d", itemPath(name, "events"), limit), nil, &evs)
	return evs, err
}

// Apply sends each input as a PUT, in order, stopping at the first error.
func (c *Client) Apply(ctx context.Context, inputs []objects.Input) ([]objects.Result, error) {
	var out []objects.Result
	for _, in := range inputs {
		var r objects.Result
		if err := c.do(ctx, http.MethodPut, itemPath(in.Name, ""), in.Doc, &r); err != nil {
			return out, fmt.Errorf("apply %s: %w", in.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Patch applies a JSON merge patch to a model's spec.
func (c *Client) Patch(ctx context.Context, name string, patch []byte) (objects.Result, error) {
	var r objects.Result
	if err := c.do(ctx, http.MethodPatch, itemPath(name, ""), patch, &r); err != nil {
		return r, fmt.Errorf("patch %s: %w", name, err)
	}
	return r, nil
}

// Delete removes a model's spec.
func (c *Client) Delete(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, itemPath(name, ""), nil, nil)
}

// Watch streams changes to every model (or the named one) to fn until fn
// returns false, ctx ends or the server ends the stream.
func (c *Client) Watch(ctx context.Context, name string, fn func(WatchEvent) bool) error {
	path := ResourcePath + "?watch=true"
	if name != "" {
		path = itemPath(name, "") + "?watch=true"
	}
	resp, err := c.stream(ctx, path)
	if err != nil {
		return fmt.Errorf("watch %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("watch %s: %w", c.server, err)
		}
		if !fn(ev) {
			return nil
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("watch %s: %w", c.server, err)
	}
	return nil
}

// stream sends a GET whose answer is read as it comes: the response, or
// the error (an *APIError when the server refused).
func (c *Client) stream(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		e := &APIError{Code: resp.StatusCode}
		_ = json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(&e.Status)
		return nil, e
	}
	return resp, nil
}

// Diff runs the controller's reconcile of a spec in dry-run mode.
func (c *Client) Diff(ctx context.Context, in objects.Input) (*distributedmodel.Diff, error) {
	var d distributedmodel.Diff
	if err := c.do(ctx, http.MethodPost, itemPath(in.Name, "diff"), in.Doc, &d); err != nil {
		return nil, fmt.Errorf("diff %s: %w", in.Name, err)
	}
	return &d, nil
}
