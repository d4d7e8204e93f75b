package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/tensor"
)

func do(t *testing.T, method, url string, header map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestBadBodies(t *testing.T) {
	s := tinySliced(t, 2)
	tc := startChain(t, s, chainOptions{timeout: 10 * time.Second})
	tc.gw.cfg.MaxBodyBytes = 64 << 10
	good, _ := npy.EncodeBytes(s.sample(1)["input"])
	f64 := tensor.New(tensor.Float64, 1, 3, 16, 16)
	wrongType, _ := npy.EncodeBytes(f64)
	wrongShape, _ := npy.EncodeBytes(tensor.New(tensor.Float32, 1, 3, 16, 15))
	huge, _ := npy.EncodeBytes(tensor.New(tensor.Float32, 1, 3, 160, 160))
	const binTooBig = `{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`
	cases := []struct {
		name, path string
		header     map[string]string
		body       []byte
		code       int
		reason     string
	}{
		{"empty", "/input", nil, nil, 400, "not a valid .npy"},
		{"garbage", "/input", nil, []byte("hello, world, this is not numpy"), 400, "not a valid .npy"},
		{"truncated", "/input", nil, good[:len(good)-5], 400, "not a valid .npy"},
		{"wrong dtype", "/input", nil, wrongType, 400, "Input dimensions does not match the model"},
		{"wrong shape", "/input", nil, wrongShape, 400, "Input dimensions does not match the model"},
		{"too large", "/input", nil, huge, 413, "limit"},
		{"oip malformed json", "/v2/models/m/infer", nil, []byte(`{"inputs": [`), 400, "malformed inference request JSON"},
		{"oip no inputs", "/v2/models/m/infer", nil, []byte(`{"inputs": []}`), 400, "no inputs"},
		{"oip bad datatype", "/v2/models/m/infer", nil, []byte(`{"inputs":[{"name":"input","shape":[1],"datatype":"STRINGY","data":[1]}]}`), 400, "unsupported datatype"},
		{"oip short data", "/v2/models/m/infer", nil, []byte(`{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","data":[1,2,3]}]}`), 400, "data has 3 elements"},
		{"oip not numbers", "/v2/models/m/infer", nil, []byte(`{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","data":["a","b"]}]}`), 400, "data element 0"},
		{"oip wrong shape", "/v2/models/m/infer", nil, []byte(`{"inputs":[{"name":"input","shape":[2],"datatype":"FP32","data":[1,2]}]}`), 400, "Input dimensions does not match the model"},
		{"oip unknown input", "/v2/models/m/infer", nil, []byte(`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`), 400, "unknown input"},
		{"oip binary size too big", "/v2/models/m/infer", map[string]string{binaryHeader: strconv.Itoa(len(binTooBig))},
			[]byte(binTooBig + "abcd"), 400, "binary_data_size 8 but only 4 binary bytes remain"},
		{"oip bad header length", "/v2/models/m/infer", map[string]string{binaryHeader: "-3"}, []byte(`{}`), 400, "Inference-Header-Content-Length"},
		{"oip unknown model", "/v2/models/other/infer", nil, []byte(`{}`), 404, "unknown model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := do(t, http.MethodPost, tc.http.URL+c.path, c.header, c.body)
			if code != c.code || !strings.Contains(string(body), c.reason) {
				t.Errorf("HTTP %d %q; want %d containing %q", code, body, c.code, c.reason)
			}
		})
	}
	// The gateway still works after all that.
	if code, body := postNPY(t, tc.http.URL, good); code != http.StatusOK {
		t.Errorf("good request after bad ones: HTTP %d %s", code, body)
	}
}

func TestOpenInferenceProtocol(t *testing.T) {
	s := tinySliced(t, 2)
	tc := startChain(t, s, chainOptions{timeout: 10 * time.Second})
	in := s.sample(3)["input"]
	want := s.want(t, s.sample(3))
	var sb strings.Builder
	for i, v := range in.Float32s() {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
	}
	jsonReq := fmt.Sprintf(`{"id":"r1","inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","data":[%s]}]}`, sb.String())
	raw, _ := in.RawBytes()
	binHead := `{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":` +
		strconv.Itoa(len(raw)) + `}}],"outputs":[{"name":"output","parameters":{"binary_data":true}}]}`
	cases := []struct {
		name   string
		header map[string]string
		body   []byte
		binary bool
	}{
		{"json", nil, []byte(jsonReq), false},
		{"binary", map[string]string{binaryHeader: strconv.Itoa(len(binHead))}, append([]byte(binHead), raw...), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, body := do(t, http.MethodPost, tc.http.URL+"/v2/models/m/infer", c.header, c.body)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, body)
			}
			head := body
			var tail []byte
			if c.binary {
				n, err := strconv.Atoi(hdr.Get(binaryHeader))
				if err != nil || n > len(body) {
					t.Fatalf("binary response header %q for %d bytes", hdr.Get(binaryHeader), len(body))
				}
				head, tail = body[:n], body[n:]
			}
			var resp struct {
				ModelName string `json:"model_name"`
				ID        string `json:"id"`
				Outputs   []struct {
					Name     string    `json:"name"`
					Shape    []int     `json:"shape"`
					Datatype string    `json:"datatype"`
					Data     []float32 `json:"data"`
				} `json:"outputs"`
			}
			if err := json.Unmarshal(head, &resp); err != nil {
				t.Fatalf("response %s: %v", head, err)
			}
			if len(resp.Outputs) != 1 || resp.Outputs[0].Name != "output" || resp.Outputs[0].Datatype != "FP32" {
				t.Fatalf("outputs %+v", resp.Outputs)
			}
			var got *tensor.Tensor
			var err error
			if c.binary {
				got, err = tensor.FromRawBytes(tensor.Float32, resp.Outputs[0].Shape, tail)
			} else {
				got, err = tensor.FromSlice(resp.Outputs[0].Data, resp.Outputs[0].Shape...)
			}
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, c.name, got, want)
		})
	}
	t.Run("metadata", func(t *testing.T) {
		code, _, body := do(t, http.MethodGet, tc.http.URL+"/v2/models/m", nil, nil)
		var meta oipModelMeta
		if code != 200 || json.Unmarshal(body, &meta) != nil {
			t.Fatalf("HTTP %d %s", code, body)
		}
		if len(meta.Inputs) != 1 || meta.Inputs[0].Datatype != "FP32" || fmt.Sprint(meta.Inputs[0].Shape) != "[1 3 16 16]" ||
			len(meta.Outputs) != 1 || fmt.Sprint(meta.Outputs[0].Shape) != "[1 10]" {
			t.Errorf("metadata %+v", meta)
		}
	})
	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/m/ready", "/connect", "/activate"} {
		t.Run(p, func(t *testing.T) {
			if code, _, body := do(t, http.MethodGet, tc.http.URL+p, nil, nil); code != 200 {
				t.Errorf("HTTP %d %s", code, body)
			}
		})
	}
	t.Run("metrics", func(t *testing.T) {
		_, _, body := do(t, http.MethodGet, tc.http.URL+"/metrics", nil, nil)
		for _, want := range []string{
			`papdl_gateway_http_requests_total{endpoint="/v2/models/{name}/infer",code="200"} 2`,
			`papdl_stage_compute_seconds_bucket{stage="1",le="+Inf"} 2`,
			"# TYPE papdl_gateway_inference_seconds histogram",
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

// TestBearerToken: with a token, /input and the inference endpoints
// refuse requests without it (401, body unread) and serve those with it;
// health, readiness and metadata stay open.
func TestBearerToken(t *testing.T) {
	s := tinySliced(t, 2)
	tc := startChain(t, s, chainOptions{timeout: 10 * time.Second})
	tc.gw.cfg.Token = "s3cret"
	hs := httptest.NewServer(tc.gw.Handler())
	defer hs.Close()
	body, _ := npy.EncodeBytes(s.sample(1)["input"])
	oip := []byte(`{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","data":[` +
		strings.TrimSuffix(strings.Repeat("0,", 768), ",") + `]}]}`)
	cases := []struct {
		name, method, path, auth string
		body                     []byte
		code                     int
	}{
		{"npy without token", "POST", "/input", "", body, 401},
		{"npy wrong token", "POST", "/input", "Bearer nope", body, 401},
		{"npy with token", "POST", "/input", "Bearer s3cret", body, 200},
		{"oip without token", "POST", "/v2/models/m/infer", "", oip, 401},
		{"oip versioned without token", "POST", "/v2/models/m/versions/1/infer", "", oip, 401},
		{"oip with token", "POST", "/v2/models/m/infer", "Bearer s3cret", oip, 200},
		{"metadata open", "GET", "/v2/models/m", "", nil, 200},
		{"health open", "GET", "/v2/health/live", "", nil, 200},
		{"ready open", "GET", "/v2/health/ready", "", nil, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.auth != "" {
				h["Authorization"] = c.auth
			}
			code, hdr, b := do(t, c.method, hs.URL+c.path, h, c.body)
			if code != c.code {
				t.Fatalf("HTTP %d %q, want %d", code, b, c.code)
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestErrorBodiesHideInternals: failure bodies and /connect name no
// internal address and no request id.
func TestErrorBodiesHideInternals(t *testing.T) {
	s := tinySliced(t, 2)
	dead := listen(t, "127.0.0.1:0")
	first := dead.Addr().String()
	dead.Close() // partition 0 is unreachable
	gw, err := NewGateway(GatewayConfig{ModelName: "m", Inputs: s.a.Inputs, Outputs: s.a.Outputs, First: first,
		Stages: 2, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(gw.Handler())
	defer hs.Close()
	body, _ := npy.EncodeBytes(s.sample(1)["input"])
	id := regexp.MustCompile(`[0-9a-f]{32}`)
	for _, c := range []struct{ method, path string }{{"POST", "/input"}, {"GET", "/connect"}, {"GET", "/v2/health/ready"}} {
		code, _, b := do(t, c.method, hs.URL+c.path, nil, body)
		if strings.Contains(string(b), "127.0.0.1") || id.Match(b) {
			t.Errorf("%s %s: HTTP %d %q reveals an address or a request id", c.method, c.path, code, b)
		}
	}
}
