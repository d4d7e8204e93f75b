package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/install"
)

type uninstallOptions struct {
	swarm        bool
	removeModels bool
	purge        bool
	apiAddress   string
	timeout      time.Duration
}

func newUninstallCommand() *cobra.Command {
	var o uninstallOptions
	cmd := &cobra.Command{
		Use:   "uninstall --swarm [--remove-models] [--purge]",
		Short: "Remove the controller's Swarm service; its models keep serving unless --remove-models",
		Long: `uninstall removes the papdl-controller service papdlctl install made.
Models keep serving (a later install takes them over again) unless
--remove-models, which deletes every model through the API first and waits
until the controller has removed them. --purge also removes the volume
papdl-state (the controller's CA, tokens, specs and state) and the
controller images.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUninstall(cmd.Context(), cmd, o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.swarm, "swarm", true, "uninstall from the Docker Swarm (the only target)")
	f.BoolVar(&o.removeModels, "remove-models", false, "delete every model through the API first and wait until they are gone")
	f.BoolVar(&o.purge, "purge", false, "also remove the state volume and the controller images")
	f.StringVar(&o.apiAddress, "api-address", "", "the address to reach the API by for --remove-models (default: the first one install gave)")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the models and the service to be gone")
	return cmd
}

func runUninstall(ctx context.Context, cmd *cobra.Command, o uninstallOptions) error {
	if !o.swarm {
		return errors.New("uninstall: --swarm is the only target so far")
	}
	eng, err := install.Dial("")
	if err != nil {
		return err
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	start := time.Now()
	stderr := cmd.ErrOrStderr()
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	err = install.Uninstall(ctx, eng, install.UninstallRequest{RemoveModels: o.removeModels, Purge: o.purge,
		APIAddress: o.apiAddress}, progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "papdl controller uninstalled (%s)\n", time.Since(start).Round(time.Millisecond))
	return nil
}
