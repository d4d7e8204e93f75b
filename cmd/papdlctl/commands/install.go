package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/install"
)

type installOptions struct {
	swarm        bool
	apiPort      int
	artifactAddr string
	apiAddresses []string
	image        string
	nodeBinary   string
	modelsDirs   []string
	nodeEngines  []string
	logLevel     string
	writeConfig  string
	dryRun       bool
	timeout      time.Duration
}

func newInstallCommand() *cobra.Command {
	var o installOptions
	cmd := &cobra.Command{
		Use:   "install --swarm [--api-port PORT] [--artifact-addr HOST:PORT] [--models-dir DIR]",
		Short: "Run the controller as a Docker Swarm service and write the papdl config that reaches it",
		Long: `install runs papdlctl controller --runtime swarm as the Swarm service
papdl-controller on the manager whose engine DOCKER_HOST names (else the
local socket): a FROM-scratch image made from this papdlctl and papdl-node
(static builds), the engine's socket mounted, state and specs in the volume
papdl-state, on the host's network, the API on --api-port. It waits until
the API answers, then writes the admin context to ~/.papdl/config (or
--write-config, --config, $PAPDL_CONFIG) with the server URL clients reach.
Running it again upgrades the service in place; the CA and tokens are kept.

Spec model paths are read inside the controller's container: mount the
directories holding models with --models-dir (same path inside).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInstall(cmd.Context(), cmd, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.swarm, "swarm", false, "install on the Docker Swarm (the only target)")
	f.IntVar(&o.apiPort, "api-port", install.DefaultAPIPort, "the API's port on the manager")
	f.StringVar(&o.artifactAddr, "artifact-addr", "", "HOST:PORT on the manager where the nodes fetch partitions (default: the manager's swarm address, port API+1)")
	f.StringArrayVar(&o.apiAddresses, "api-address", nil, "an address clients reach the API by (repeatable; the first goes into the config; default: the engine's host, then the manager's swarm address)")
	f.StringVar(&o.image, "image", "", "run this controller image (a registry reference) instead of making one from the binaries")
	f.StringVar(&o.nodeBinary, "node-binary", "", "the papdl-node executable (default: next to papdlctl, then $PATH)")
	f.StringArrayVar(&o.modelsDirs, "models-dir", nil, "a host directory of model files, mounted read-only at the same path (repeatable)")
	f.StringArrayVar(&o.nodeEngines, "node-engine", nil, "HOSTNAME=ADDRESS of a node's engine to load the node image into (the test bed's are found by themselves)")
	f.StringVar(&o.logLevel, "log-level", "", "the controller's log level (default info)")
	f.StringVar(&o.writeConfig, "write-config", "", "write the admin context to this papdl config instead")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the service that would be created, change nothing")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the controller's API")
	return cmd
}

// installRequest turns the flags into the installer's request, filling
// defaults from the manager's engine.
func installRequest(o installOptions, daemonHost, nodeAddr string) (install.Request, error) {
	req := install.Request{Image: o.image, Options: install.Options{APIPort: o.apiPort, ArtifactAddr: o.artifactAddr,
		APIAddresses: o.apiAddresses, LogLevel: o.logLevel, NodeEngines: map[string]string{}}}
	if len(req.Options.APIAddresses) == 0 {
		req.Options.APIAddresses = install.DefaultAPIAddresses(daemonHost, nodeAddr)
	}
	if req.Options.ArtifactAddr == "" {
		if ip := net.ParseIP(nodeAddr); ip == nil || ip.IsLoopback() {
			return req, fmt.Errorf("the manager's swarm address is %q, which the nodes' containers cannot reach: give --artifact-addr HOST:PORT (e.g. 10.99.0.1:%d on the test bed)", nodeAddr, o.apiPort+1)
		}
		req.Options.ArtifactAddr = net.JoinHostPort(nodeAddr, strconv.Itoa(o.apiPort+1))
	}
	for _, d := range o.modelsDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return req, fmt.Errorf("--models-dir %s: %w", d, err)
		}
		req.Options.ModelsDirs = append(req.Options.ModelsDirs, abs)
	}
	// The test bed's node engines, and a check that the models
	// directories exist, when the engine is this host's.
	if strings.HasPrefix(daemonHost, "unix://") {
		for _, d := range req.Options.ModelsDirs {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return req, fmt.Errorf("--models-dir %s: not a directory on this host (the manager)", d)
			}
		}
		for h, a := range testbedEngines() {
			req.Options.NodeEngines[h] = a
		}
	}
	for _, e := range o.nodeEngines {
		h, a, ok := strings.Cut(e, "=")
		if !ok {
			return req, fmt.Errorf("--node-engine %q: want HOSTNAME=ADDRESS", e)
		}
		req.Options.NodeEngines[h] = a
	}
	return req, nil
}

func runInstall(ctx context.Context, cmd *cobra.Command, o installOptions, stdout, stderr io.Writer) error {
	if !o.swarm {
		return errors.New("install: say where: --swarm (the only target so far)")
	}
	eng, err := install.Dial("")
	if err != nil {
		return err
	}
	defer eng.Close()
	nodeID, nodeAddr, err := install.Manager(ctx, eng)
	if err != nil {
		return err
	}
	req, err := installRequest(o, eng.DaemonHost(), nodeAddr)
	if err != nil {
		return err
	}
	if req.Image == "" {
		if req.Binaries.Ctl, err = os.Executable(); err != nil {
			return fmt.Errorf("this papdlctl's path: %w", err)
		}
		if req.Binaries.Node, err = findNodeBinary(o.nodeBinary); err != nil {
			return err
		}
	}
	if o.dryRun {
		return printInstallPlan(stdout, req, nodeID)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	start := time.Now()
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	res, err := install.Install(ctx, eng, req, progress)
	if err != nil {
		return err
	}
	path := installConfigPath(cmd, o.writeConfig)
	if err := saveContext(path, res.Context); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "papdl controller %s (%s) serving at %s, version %s (%s)\n", res.Service, res.Image,
		res.Context.Server, res.Version, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "context %s written to %s\n", res.Context.Name, path)
	return nil
}

// printInstallPlan prints the service install would create or update.
func printInstallPlan(w io.Writer, req install.Request, nodeID string) error {
	if err := req.Options.Validate(); err != nil {
		return err
	}
	image := req.Image
	if image == "" {
		var err error
		if image, err = install.PlannedImage(req.Binaries); err != nil {
			return err
		}
	}
	spec, _, err := install.WithHash(install.ServiceSpec(req.Options, image, nodeID))
	if err != nil {
		return err
	}
	out, err := yaml.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encode service spec: %w", err)
	}
	fmt.Fprintf(w, "# service %s, volume %s, image %s (dry run: nothing changed)\n", install.ServiceName, install.VolumeName, image)
	_, err = w.Write(out)
	return err
}

// installConfigPath is where install writes the admin context:
// --write-config, else the papdl config in use (--config, $PAPDL_CONFIG),
// else ~/.papdl/config.
func installConfigPath(cmd *cobra.Command, writeConfig string) string {
	if writeConfig != "" {
		return writeConfig
	}
	if f := cmd.Flag(configFlag); f != nil && f.Changed {
		return f.Value.String()
	}
	if p := os.Getenv("PAPDL_CONFIG"); p != "" {
		return p
	}
	return defaultConfigPath()
}

// saveContext adds the context to the papdl config at path (creating it),
// as its current context.
func saveContext(path string, c apiserver.Context) error {
	if path == "" {
		return errors.New("no place for the papdl config: give --write-config FILE")
	}
	cfg, err := apiserver.LoadConfig(path)
	if errors.Is(err, fs.ErrNotExist) {
		cfg, err = apiserver.NewConfig(c), nil
	}
	if err != nil {
		return err
	}
	cfg.SetContext(c)
	return cfg.Save(path)
}
