package local

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// fakeNodeEnv switches the test binary into a stand-in for papdl-node: the
// runtime's children inherit the test's environment, so a test sets it
// (t.Setenv) and points Config.NodeBinary at os.Args[0].
const fakeNodeEnv = "PAPDL_TEST_FAKE_NODE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeNodeEnv); mode != "" && len(os.Args) > 1 {
		os.Exit(fakeNode(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeNode listens where the command line says (serve), or exits at once
// as papdl-node does when its port is taken (crash), or waits for a signal
// (sleep: a benchmark or probe), or listens and ignores SIGTERM
// (stubborn). It ignores every other flag.
func fakeNode(mode string, args []string) int {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	listen := fs.String("listen", "", "")
	retListen := fs.String("return-listen", "", "")
	for _, f := range []string{"manifest", "index", "partition", "sha256", "next", "return", "first", "model-name",
		"model", "node", "warmup", "profile-repeats", "input-shape", "peers", "sizes", "credentials", "token-file"} {
		fs.String(f, "", "")
	}
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	switch mode {
	case "crash":
		fmt.Fprintf(os.Stderr, "papdl-node %s: partition 0: listen tcp %s: bind: address already in use\n", args[0], *listen)
		return 1
	case "serve", "stubborn":
		for _, addr := range []string{*listen, *retListen} {
			if addr == "" {
				continue
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				fmt.Fprintf(os.Stderr, "papdl-node %s: %v\n", args[0], err)
				return 1
			}
			defer ln.Close()
		}
	}
	for {
		select {
		case <-sig:
			if mode != "stubborn" {
				return 0
			}
			fmt.Println("got SIGTERM, ignoring it")
		case <-time.After(time.Hour):
			return 3
		}
	}
}

// newTestRuntime opens a runtime in a fresh directory whose children are
// the fake node in mode.
func newTestRuntime(t *testing.T, mode string) *Runtime {
	t.Helper()
	t.Setenv(fakeNodeEnv, mode)
	r, err := New(Config{NodeBinary: testBinary(), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Clean(contextForCleanup(), "") })
	return r
}

// partition is partition i of a two-partition model m on the host.
func partition(m string, i int) runtime.Workload {
	next := runtime.WorkloadName(m, i+1)
	if i == 1 {
		next = runtime.WorkloadName(m, -1)
	}
	return runtime.Workload{Name: runtime.WorkloadName(m, i), Model: m, Role: runtime.RolePartition, Partition: i,
		Node: HostNodeID, Next: next, ArtifactSHA256: "x"}
}

// gateway is the gateway of model m on port.
func gateway(m string, port int) runtime.Workload {
	return runtime.Workload{Name: runtime.WorkloadName(m, -1), Model: m, Role: runtime.RoleGateway, Partition: -1,
		Node: HostNodeID, Next: runtime.WorkloadName(m, 0), Port: port}
}

// testBinary is this test binary, the fake papdl-node.
func testBinary() string { return os.Args[0] }
