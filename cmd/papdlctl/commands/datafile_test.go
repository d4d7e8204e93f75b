package commands

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// npyMagic starts every .npy file; onnxStart is the first byte of the
// model files the zoo writes (field 1, ir_version, varint).
const (
	npyMagic  = "\x93NUMPY"
	onnxStart = "\x08"
)

// runRoot runs papdlctl with args in dir, stdin from in.
func runRoot(t *testing.T, dir string, in []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	t.Chdir(dir)
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(bytes.NewReader(in))
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestDashMeansStdio: -o - writes the data to standard output (the report
// goes to standard error) and -i - reads standard input; no file named
// "-" is ever written (issue 15).
func TestDashMeansStdio(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "mnist.onnx")
	if _, _, err := runRoot(t, dir, nil, "model", "generate", "--arch", "mnist", "-o", model); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "in.npy")
	if _, _, err := runRoot(t, dir, nil, "model", "input", "-m", model, "-o", input); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	// A gateway that answers with the input, for predict.
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(in) }))
	defer gw.Close()
	rec := &distributedmodel.Record{Name: "mnist"}
	rec.Status.Endpoint = gw.URL
	state := writeRecords(t, rec)

	for _, tc := range []struct {
		name   string
		stdin  []byte
		args   []string
		prefix string // of stdout
		report string // on stderr
	}{
		{"model generate", nil, []string{"model", "generate", "--arch", "mnist", "-o", "-"}, onnxStart, "wrote"},
		{"model input", nil, []string{"model", "input", "-m", model, "-o", "-"}, npyMagic, "wrote"},
		{"infer from stdin to stdout", in, []string{"infer", "-m", model, "-i", "-", "-o", "-"}, npyMagic, "wrote"},
		{"infer named output", nil, []string{"infer", "-m", model, "-i", input, "-o", "-"}, npyMagic, "wrote"},
		{"predict from stdin to stdout", in, []string{"predict", "mnist", "--state-dir", state, "-i", "-", "-o", "-"}, npyMagic, "wrote"},
		{"profile", nil, []string{"profile", model, "--warmup", "0", "-r", "1", "-o", "-"}, "{", "whole model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			out, errOut, err := runRoot(t, work, tc.stdin, tc.args...)
			if err != nil {
				t.Fatalf("%v (stderr %s)", err, errOut)
			}
			if !strings.HasPrefix(out, tc.prefix) {
				t.Fatalf("stdout starts with %q, want %q", out[:min(len(out), 16)], tc.prefix)
			}
			if !strings.Contains(errOut, tc.report) {
				t.Fatalf("stderr lacks the report %q: %s", tc.report, errOut)
			}
			if _, err := os.Stat(filepath.Join(work, "-")); err == nil {
				t.Fatal(`a file named "-" was written`)
			}
		})
	}
	if _, _, err := runRoot(t, dir, nil, "slice", model, "-o", "-", "--parts", "2"); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("slice -o -: got %v, want an error saying it writes a directory", err)
	}
}
