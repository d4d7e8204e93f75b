package local

import (
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/runtime"
)

func TestBenchArgs(t *testing.T) {
	shapes := map[string][]int{"b": {2}, "a": {1, 3}}
	tests := []struct {
		name string
		req  runtime.BenchmarkRequest
		want string
	}{
		{"partition set", runtime.BenchmarkRequest{ManifestPath: "/s/manifest.json", ModelPath: "/m.onnx", ModelSHA256: "x",
			InputShapes: shapes, Warmup: 1, Repeats: 2},
			"bench --manifest /s/manifest.json --node n1 --warmup 1 --profile-repeats 2"},
		{"whole model", runtime.BenchmarkRequest{ModelPath: "/m.onnx", ModelSHA256: "x", InputShapes: shapes, Warmup: 1, Repeats: 2},
			"bench --model /m.onnx --sha256 x --node n1 --warmup 1 --profile-repeats 2 --input-shape a=1x3 --input-shape b=2"},
	}
	for _, tt := range tests {
		if got := strings.Join(benchArgs(tt.req, "n1"), " "); got != tt.want {
			t.Errorf("%s: got  %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
