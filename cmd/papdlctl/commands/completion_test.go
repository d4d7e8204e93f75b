package commands

import (
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	state := writeRecords(t,
		recordNamed("alpha"), recordNamed("beta"), recordNamed("gamma"))
	t.Setenv("PAPDL_CONFIG", "")
	t.Setenv("HOME", t.TempDir())
	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"model names", []string{"__complete", "get", "--state-dir", state, ""}, []string{"alpha", "beta", "gamma"}, nil},
		{"by prefix", []string{"__complete", "describe", "--state-dir", state, "b"}, []string{"beta"}, []string{"alpha"}},
		{"names not repeated", []string{"__complete", "delete", "--state-dir", state, "alpha", ""}, []string{"beta"}, []string{"alpha"}},
		{"one name only", []string{"__complete", "describe", "--state-dir", state, "alpha", ""}, nil, []string{"beta"}},
		{"get -o", []string{"__complete", "get", "-o", ""}, []string{"wide", "name", "yaml", "json", "jsonpath="}, nil},
		{"configure -o", []string{"__complete", "configure", "-o", ""}, []string{"json", "yaml", "jsonpath="}, []string{"wide", "name"}},
		{"--objective", []string{"__complete", "configure", "--objective", ""}, []string{"latency", "throughput"}, nil},
		{"--for", []string{"__complete", "wait", "--for", ""}, []string{"condition=Ready", "delete"}, nil},
		{"--arch", []string{"__complete", "model", "generate", "--arch", ""}, []string{"mnist"}, nil},
		{"completion command", []string{"completion", "bash"}, []string{"bash completion"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runRoot(t, t.TempDir(), nil, tc.args...)
			if err != nil {
				t.Fatalf("%v: %s", err, errOut)
			}
			lines := strings.Split(out, "\n")
			has := func(w string) bool {
				for _, l := range lines {
					if l == w || (strings.Contains(w, " ") && strings.Contains(l, w)) {
						return true
					}
				}
				return false
			}
			for _, w := range tc.want {
				if !has(w) {
					t.Errorf("completions lack %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if has(w) {
					t.Errorf("completions have %q:\n%s", w, out)
				}
			}
		})
	}
}
