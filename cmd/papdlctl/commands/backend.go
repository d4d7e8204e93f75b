package commands

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/store"
)

// backend is where the control-plane verbs (apply, get, describe, wait,
// delete, predict) read and write models: the controller's directories on
// this machine, or its API (*apiserver.Client) when a papdl config is in
// use.
type backend interface {
	// Records returns the named models' records, or every model's when
	// names is empty, that sel matches.
	Records(ctx context.Context, names []string, sel labels.Selector) ([]*distributedmodel.Record, error)
	Observe(ctx context.Context, name string) (objects.Observation, error)
	Plan(ctx context.Context, name string) (*planner.Plan, error)
	Events(ctx context.Context, name string, limit int) ([]store.Event, error)
	Apply(ctx context.Context, inputs []objects.Input) ([]objects.Result, error)
	Delete(ctx context.Context, name string) error
	// Patch applies a JSON merge patch to a model's spec.
	Patch(ctx context.Context, name string, patch []byte) (objects.Result, error)
	// Logs copies a model's workload logs to w.
	Logs(ctx context.Context, name string, req objects.LogRequest, w io.Writer) error
}

// localBackend works on the directories directly.
type localBackend struct {
	dirs  dirOptions
	specs *distributedmodel.SpecIndex
}

func (b *localBackend) store() (*store.Store, error) { return store.Open(b.dirs.stateDir) }

func (b *localBackend) Records(_ context.Context, names []string, sel labels.Selector) ([]*distributedmodel.Record, error) {
	st, err := b.store()
	if err != nil {
		return nil, err
	}
	recs, err := objects.LoadRecords(st, names)
	if err != nil {
		return nil, err
	}
	return objects.Select(recs, sel), nil
}

func (b *localBackend) Observe(_ context.Context, name string) (objects.Observation, error) {
	st, err := b.store()
	if err != nil {
		return objects.Observation{}, err
	}
	if b.specs == nil {
		b.specs = distributedmodel.NewSpecIndex(b.dirs.specsDir)
	}
	return objects.Observe(st, b.specs, name), nil
}

func (b *localBackend) Plan(_ context.Context, name string) (*planner.Plan, error) {
	st, err := b.store()
	if err != nil {
		return nil, err
	}
	return objects.LoadPlan(st, name)
}

func (b *localBackend) Events(_ context.Context, name string, limit int) ([]store.Event, error) {
	st, err := b.store()
	if err != nil {
		return nil, err
	}
	return st.Events(name, limit)
}

func (b *localBackend) Apply(_ context.Context, inputs []objects.Input) ([]objects.Result, error) {
	return objects.Apply(b.dirs.specsDir, inputs)
}

func (b *localBackend) Delete(_ context.Context, name string) error {
	return objects.Delete(b.dirs.specsDir, name)
}

func (b *localBackend) Patch(_ context.Context, name string, patch []byte) (objects.Result, error) {
	return objects.Patch(b.dirs.specsDir, name, patch)
}

// Logs reads the workloads' logs from the controller's runtime, opened
// with the settings the controller recorded in the state directory (as
// clean opens it).
func (b *localBackend) Logs(ctx context.Context, name string, req objects.LogRequest, w io.Writer) error {
	o := controllerOptions{dirs: b.dirs, runtime: "local"}
	if err := adoptControllerConfig(&o, func(string) bool { return false }); err != nil {
		return err
	}
	rt, err := openRuntime(ctx, o, zap.NewNop())
	if err != nil {
		return err
	}
	return objects.Logs(ctx, rt, name, req, w)
}

// Global flags naming the papdl config (see bindConfigFlags).
const (
	configFlag  = "config"
	contextFlag = "context"
)

// bindConfigFlags adds --config and --context to every verb.
func bindConfigFlags(fs *pflag.FlagSet) {
	fs.String(configFlag, "", "papdl config file: drive a controller through its API ($PAPDL_CONFIG; default ~/.papdl/config when it exists and no directory is given)")
	fs.String(contextFlag, "", "the context of the papdl config to use (default: its current context)")
}

// defaultConfigPath is ~/.papdl/config.
func defaultConfigPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".papdl", "config")
}

// configPath is the papdl config in use: --config, then $PAPDL_CONFIG,
// then ~/.papdl/config when it exists and neither a directory flag nor a
// directory variable says to work locally. "" means local directories.
func configPath(cmd *cobra.Command) string {
	if f := cmd.Flag(configFlag); f != nil && f.Changed {
		return f.Value.String()
	}
	if p := os.Getenv("PAPDL_CONFIG"); p != "" {
		return p
	}
	for _, name := range []string{"specs-dir", "state-dir"} {
		if f := cmd.Flag(name); f != nil && f.Changed {
			return ""
		}
	}
	if os.Getenv("PAPDL_SPECS_DIR") != "" || os.Getenv("PAPDL_STATE_DIR") != "" {
		return ""
	}
	if p := defaultConfigPath(); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// apiClient is the client of the papdl config in use; nil when none is.
func apiClient(cmd *cobra.Command) (*apiserver.Client, error) {
	path := configPath(cmd)
	if path == "" {
		return nil, nil
	}
	cfg, err := apiserver.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	name := ""
	if f := cmd.Flag(contextFlag); f != nil {
		name = f.Value.String()
	}
	cx, err := cfg.Context(name)
	if err != nil {
		return nil, err
	}
	return apiserver.NewClient(cx)
}

// openBackend is the API when a papdl config is in use, the directories
// otherwise.
func openBackend(cmd *cobra.Command, dirs dirOptions) (backend, error) {
	c, err := apiClient(cmd)
	if err != nil {
		return nil, err
	}
	if c != nil {
		return c, nil
	}
	return &localBackend{dirs: dirs}, nil
}

// isNotFound reports a model that is not there, locally or remotely.
func isNotFound(err error) bool { return errors.Is(err, objects.ErrNotFound) }
