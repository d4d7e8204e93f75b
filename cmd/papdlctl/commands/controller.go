package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/papdl/papdl/reconcilers"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/runtime/local"
	"github.com/papdl/papdl/reconcilers/source"
	"github.com/papdl/papdl/reconcilers/store"
)

type controllerOptions struct {
	dirs      dirOptions
	runtime   string
	nodesFile string
	// simulated are the local runtime's extra nodes when no nodesFile is
	// given (a dry run reuses the controller's).
	simulated []local.SimulatedNode
	// caps is how the local runtime enforces the simulated nodes' caps.
	caps       string
	nodeBinary string
	logLevel   string
	logFormat  string
	workers    int
	swarm      swarmFlags
	apiListen  string
	// apiNames are extra names the API's certificate covers.
	apiNames []string
}

func newControllerCommand() *cobra.Command {
	var o controllerOptions
	cmd := &cobra.Command{
		Use:   "controller --specs-dir DIR --state-dir DIR [--runtime local|swarm]",
		Short: "Run the papdl controller in the foreground until SIGINT/SIGTERM",
		Long: `The controller watches the specs directory and converges every
DistributedModel declared there: slice, benchmark, place, deploy, and keep
it running; it removes everything a deleted spec created.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runController(cmd.Context(), o) },
	}
	o.dirs.bindSpecs(cmd.Flags())
	o.dirs.bindState(cmd.Flags())
	cmd.Flags().StringVar(&o.runtime, "runtime", "local", "where partitions run: local (processes on this host) or swarm")
	mustCompleteFlag(cmd, "runtime", completeValues(runtimeNames()...))
	cmd.Flags().StringVar(&o.nodesFile, "nodes", "", "local runtime: YAML list of simulated nodes ({name, cpus, memory})")
	cmd.Flags().StringVar(&o.caps, "caps", local.CapsAuto, "local runtime: enforce simulated nodes' caps with cgroups: auto (when root), cgroup (required) or none (nodes shown uncapped)")
	cmd.Flags().StringVar(&o.nodeBinary, "node-binary", "", "the papdl-node executable (default: next to papdlctl, then $PATH)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&o.logFormat, "log-format", "json", "json or console")
	mustCompleteFlag(cmd, "log-level", completeValues("debug", "info", "warn", "error"))
	mustCompleteFlag(cmd, "log-format", completeValues("json", "console"))
	mustCompleteFlag(cmd, "caps", completeValues(local.CapsAuto, local.CapsCgroup, local.CapsNone))
	cmd.Flags().IntVar(&o.workers, "workers", 2, "models reconciled in parallel")
	bindSwarmFlags(cmd, &o)
	cmd.Flags().StringVar(&o.apiListen, "api-listen", "", "serve the HTTPS API on this address (writes STATE/admin.papdlconfig)")
	cmd.Flags().StringArrayVar(&o.apiNames, "api-san", nil, "another IP address or DNS name the API's certificate covers (repeatable)")
	return cmd
}

// newLogger builds the controller's zap logger on stderr.
func newLogger(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var encoder zapcore.Encoder
	switch format {
	case "json":
		encoder = zapcore.NewJSONEncoder(enc)
	case "console":
		encoder = zapcore.NewConsoleEncoder(enc)
	default:
		return nil, fmt.Errorf("--log-format %s: want json or console", format)
	}
	return zap.New(zapcore.NewCore(encoder, zapcore.Lock(os.Stderr), lvl)), nil
}

// findNodeBinary locates papdl-node.
func findNodeBinary(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if exe, err := os.Executable(); err == nil {
		cand := filepath.Join(filepath.Dir(exe), "papdl-node")
		if _, err := os.Stat(cand); err == nil {
			return cand, nil
		}
	}
	p, err := exec.LookPath("papdl-node")
	if err != nil {
		return "", fmt.Errorf("papdl-node not found next to papdlctl or in $PATH (make build, or --node-binary)")
	}
	return filepath.Abs(p)
}

// watcher is implemented by runtimes that report workload changes.
type watcher interface {
	Watch(ctx context.Context, notify func(model string))
}

// bindSwarmFlags adds the Swarm runtime's flags.
func bindSwarmFlags(cmd *cobra.Command, o *controllerOptions) {
	cmd.Flags().StringArrayVar(&o.swarm.nodeEngines, "node-engine", nil, "swarm: HOSTNAME=ADDRESS of a node's engine to load the node image into (the test bed's are found by themselves)")
	cmd.Flags().StringVar(&o.swarm.artifactListen, "artifact-listen", "", "swarm: serve partitions to the nodes on this address")
	cmd.Flags().StringVar(&o.swarm.artifactURL, "artifact-url", "", "swarm: the base URL nodes fetch artifacts from (default http://ARTIFACT-LISTEN/artifacts)")
	cmd.Flags().StringVar(&o.swarm.image, "image", "", "swarm: run this node image (a registry reference pinned by digest) instead of building one")
}

func openRuntime(ctx context.Context, o controllerOptions, log *zap.Logger) (runtime.Runtime, error) {
	bin, err := findNodeBinary(o.nodeBinary)
	if err != nil {
		return nil, err
	}
	switch o.runtime {
	case "local":
		sim := o.simulated
		if o.nodesFile != "" {
			if sim, err = local.LoadSimulatedNodes(o.nodesFile); err != nil {
				return nil, err
			}
		}
		return local.New(local.Config{NodeBinary: bin, Dir: filepath.Join(o.dirs.stateDir, "local-runtime"),
			Simulated: sim, Caps: o.caps, Log: log.Named("local-runtime")})
	case "swarm":
		return openSwarmRuntime(ctx, o, bin, log)
	}
	return nil, fmt.Errorf("--runtime %s: want local or swarm", o.runtime)
}

func runController(ctx context.Context, o controllerOptions) error {
	log, err := newLogger(o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	// Workload processes and artifact paths outlive this process's working
	// directory: keep every path absolute.
	if o.dirs.specsDir, err = filepath.Abs(o.dirs.specsDir); err != nil {
		return err
	}
	if o.dirs.stateDir, err = filepath.Abs(o.dirs.stateDir); err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	// One controller per state directory: a second one fails here, naming
	// the first one's pid.
	unlock, err := store.Lock(o.dirs.stateDir)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	st, err := store.Open(o.dirs.stateDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dirs.specsDir, 0o755); err != nil {
		return err
	}
	if o.nodesFile != "" {
		if o.simulated, err = local.LoadSimulatedNodes(o.nodesFile); err != nil {
			return err
		}
		o.nodesFile = ""
	}
	rt, err := openRuntime(ctx, o, log)
	if err != nil {
		return err
	}
	if c, ok := rt.(io.Closer); ok {
		// The engines' connections, the simulated nodes' emptied cgroups.
		defer func() {
			if err := c.Close(); err != nil {
				log.Warn("closing the runtime", zap.Error(err))
			}
		}()
	}
	if err := saveControllerConfig(o); err != nil {
		return err
	}
	if lr, ok := rt.(*local.Runtime); ok {
		// Records are a cache of the processes: rebuild the lost ones and
		// stop the orphans of a controller that was killed.
		rep, err := lr.Adopt(ctx)
		if err != nil {
			return fmt.Errorf("adopt local workloads: %w", err)
		}
		if len(rep.Adopted)+len(rep.Killed)+len(rep.Dropped) > 0 {
			log.Warn("local runtime state repaired", zap.Strings("adopted", rep.Adopted), zap.Strings("killed", rep.Killed),
				zap.Strings("dropped", rep.Dropped))
		}
	}
	if bad, err := st.InvalidModelEntries(); err == nil && len(bad) > 0 {
		log.Warn("ignoring entries of the models state directory that are not model names", zap.Strings("entries", bad))
	}
	rec := distributedmodel.NewReconciler(o.dirs.specsDir, st, rt, log.Named("distributedmodel"))
	modelFiles := source.NewModelFiles(log.Named("model-files"))
	rec.ModelFiles = modelFiles
	queue := reconcilers.NewQueue()
	metrics := reconcilers.NewMetrics("distributedmodel", queue)
	ctrl := &reconcilers.Controller{Name: "distributedmodel", Reconciler: rec, Queue: queue, Log: log, Workers: o.workers, Metrics: metrics}

	// Models known from state or from running workloads are reconciled once
	// even if no spec declares them any more: that is how a spec deleted
	// while the controller was down gets cleaned up.
	initial, err := st.ModelNames()
	if err != nil {
		return err
	}
	observed, err := rt.List(ctx, "")
	if err != nil {
		return fmt.Errorf("list workloads: %w", err)
	}
	seen := map[string]bool{}
	for _, n := range initial {
		seen[n] = true
	}
	for _, w := range observed {
		if !seen[w.Model] {
			seen[w.Model] = true
			initial = append(initial, w.Model)
		}
	}
	sort.Strings(initial)
	src := &source.SpecsDir{Dir: o.dirs.specsDir, List: rec.Specs().Names, Gone: rec.Cancel, Log: log.Named("specs")}
	errc := make(chan error, 2)
	go func() { errc <- src.Run(ctx, initial, queue.Add) }()
	go func() {
		if err := modelFiles.Run(ctx, queue.Add); err != nil {
			log.Warn("model files are not watched; changes are seen at the periodic recheck", zap.Error(err))
		}
	}()
	if w, ok := rt.(watcher); ok {
		go w.Watch(ctx, queue.Add)
	}
	if err := startAPI(ctx, o, st, rt, metrics.Gatherer(), log); err != nil {
		return err
	}
	log.Info("controller started", zap.String("specsDir", o.dirs.specsDir), zap.String("stateDir", o.dirs.stateDir),
		zap.String("runtime", rt.Name()))
	done := make(chan struct{})
	go func() { ctrl.Run(ctx); close(done) }()
	select {
	case err := <-errc:
		if err != nil {
			return err
		}
		<-done
	case <-done:
	}
	log.Info("controller stopped; workloads keep running")
	return nil
}
