package local

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/reconcilers/runtime"
)

// TestCredentialsFile: a model's workloads get the path of one 0600 file
// of chain credentials, the same for all of them and across revisions;
// the secret itself never appears on a command line; Clean deletes it.
func TestCredentialsFile(t *testing.T) {
	r := &Runtime{cfg: Config{Dir: t.TempDir()}, children: map[string]*child{}, busy: map[string]chan struct{}{}}
	var paths []string
	for _, w := range []runtime.Workload{
		{Name: runtime.WorkloadName("m", 0), Model: "m", Role: runtime.RolePartition, Partition: 0, Next: runtime.WorkloadName("m", -1), Revision: "r1"},
		{Name: runtime.WorkloadName("m", -1), Model: "m", Role: runtime.RoleGateway, Partition: -1, Next: runtime.WorkloadName("m", 0), Revision: "r2"},
	} {
		args, err := r.args(w, 1234, 1235)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.Index(args, "--credentials")
		if i < 0 || i+1 >= len(args) {
			t.Fatalf("%s: no --credentials in %v", w.Name, args)
		}
		if strings.Contains(strings.Join(args, " "), "PRIVATE KEY") {
			t.Fatalf("%s: the secret is on the command line", w.Name)
		}
		paths = append(paths, args[i+1])
	}
	if paths[0] != paths[1] {
		t.Fatalf("the model's workloads got different credentials: %v", paths)
	}
	st, err := os.Stat(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := chainauth.Load(paths[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Clean(t.Context(), "m"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths[0]); !os.IsNotExist(err) {
		t.Errorf("credentials left after Clean: %v", err)
	}
}
