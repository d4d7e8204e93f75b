package conformance

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/ops"
)

// minPassRate is the share of supported-operator cases that must pass, and
// minPassing the number of cases (of the 932 in libonnx-testdata 1.12) that
// must pass: raise it when operators are added, so CI keeps the coverage.
const (
	minPassRate = 0.95
	minPassing  = 869
)

func dataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PAPDL_ONNX_NODE_TESTS")
	if dir == "" {
		dir = DefaultDataDir
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ONNX node tests not installed at %s (apt-get install libonnx-testdata): %v", dir, err)
		}
		t.Skipf("ONNX node tests not installed at %s", dir)
	}
	return dir
}

// TestNode runs every node test case as a subtest; a failing case fails its
// subtest unless it is listed in known_failures.txt.
func TestNode(t *testing.T) {
	dir := dataDir(t)
	cases, err := ListCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := knownFailures(t)
	reg := ops.NewRegistry()
	var results []Result
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := c.Run(context.Background(), reg)
			results = append(results, r)
			switch r.Status {
			case Unsupported:
				t.Skip(r.Err)
			case Fail:
				if reason, ok := known[c.Name]; ok {
					t.Skipf("known failure (%s): %s", reason, r.Err)
				}
				t.Errorf("%s: %s", r.Op, r.Err)
			}
		})
	}
	if len(results) < len(cases) {
		return // filtered with -run: no overall rate
	}
	_, total := Summarize(results)
	if total.Supported() == 0 {
		t.Fatal("no test case uses a supported operator")
	}
	rate := float64(total.Pass) / float64(total.Supported())
	t.Logf("supported-operator cases: %d of %d pass (%.1f%%)", total.Pass, total.Supported(), 100*rate)
	if rate < minPassRate {
		t.Errorf("pass rate %.1f%% is below %.0f%%", 100*rate, 100*minPassRate)
	}
	if total.Pass < minPassing {
		t.Errorf("%d cases pass, want at least %d", total.Pass, minPassing)
	}
}

func knownFailures(t *testing.T) map[string]string {
	b, err := os.ReadFile("testdata/known_failures.txt")
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		out[name] = strings.TrimSpace(reason)
	}
	return out
}
