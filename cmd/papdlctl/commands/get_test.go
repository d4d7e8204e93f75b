package commands

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

// TestGetShowsADamagedRecordAsUnknown: one truncated status.json does not
// make `get` fail for every model (defect 6).
func TestGetShowsADamagedRecordAsUnknown(t *testing.T) {
	state := t.TempDir()
	st, err := store.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alpha", "beta"} {
		path, err := distributedmodel.RecordPath(st, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteJSON(path, &distributedmodel.Record{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	beta, _ := distributedmodel.RecordPath(st, "beta")
	if err := os.WriteFile(beta, []byte(`{"name": "be`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	cmd.SetContext(context.Background())
	if err := runGet(cmd, getOptions{dirs: dirOptions{stateDir: state}}, nil); err != nil {
		t.Fatalf("get with one damaged record: %v", err)
	}
	got := out.String()
	if !strings.Contains(got, "alpha") || !strings.Contains(got, "beta") || !strings.Contains(got, "Unknown") {
		t.Fatalf("get output:\n%s", got)
	}
}
