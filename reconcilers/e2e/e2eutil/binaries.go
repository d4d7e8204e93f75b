package e2eutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Binaries are papdlctl and papdl-node built from the current tree.
type Binaries struct {
	Ctl, Node string // paths of papdlctl and papdl-node
}

// BuildBinaries builds papdlctl and papdl-node, static (CGO_ENABLED=0, as
// the FROM-scratch node image needs), into dir/bin.
func BuildBinaries(dir string) (Binaries, error) {
	bin := Binaries{Ctl: filepath.Join(dir, "bin", "papdlctl"), Node: filepath.Join(dir, "bin", "papdl-node")}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	for _, b := range []struct{ out, pkg string }{
		{bin.Ctl, "github.com/papdl/papdl/cmd/papdlctl"},
		{bin.Node, "github.com/papdl/papdl/cmd/papdl-node"},
	} {
		cmd := exec.Command(gobin, "build", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return bin, nil
}

// RunCtl runs papdlctl in dir (the current directory when it is "") and
// returns its combined output; the error names the command.
func (b Binaries) RunCtl(dir string, args ...string) (string, error) {
	cmd := exec.Command(b.Ctl, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("papdlctl %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Main is a suite's TestMain body: it makes a temporary directory, lets
// prepare set the suite's fixture up in it (binaries, models), runs the
// tests, removes the directory and returns the exit code for os.Exit.
// suite names the suite in messages and in the directory's name ("e2e":
// papdl-e2e-*; "swarm e2e": papdl-swarm-e2e-*).
func Main(m *testing.M, suite string, prepare func(dir string) error) int {
	dir, err := os.MkdirTemp("", "papdl-"+strings.ReplaceAll(suite, " ", "-")+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", suite, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := prepare(dir); err != nil {
		fmt.Fprintf(os.Stderr, "%s: setup: %v\n", suite, err)
		return 1
	}
	return m.Run()
}
