package commands

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/apiserver"
)

// newConfigCommand is `papdlctl config`: the contexts of the papdl config
// file (kubectl config's habits).
func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config get-contexts|use-context NAME",
		Short: "List or choose the contexts (controllers and tokens) of the papdl config",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts of the papdl config; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, cfg, err := loadPapdlConfig(cmd)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "CURRENT\tNAME\tSERVER\t(%s)\n", path)
			for _, c := range cfg.Contexts {
				cur := ""
				if c.Name == cfg.CurrentContext {
					cur = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", cur, c.Name, c.Server)
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "use-context NAME",
		Short: "Make NAME the current context of the papdl config",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, cfg, err := loadPapdlConfig(cmd)
			if err != nil {
				return err
			}
			if _, err := cfg.Context(args[0]); err != nil {
				return err
			}
			cfg.CurrentContext = args[0]
			if err := cfg.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Switched to context %q.\n", args[0])
			return nil
		},
	})
	return cmd
}

// loadPapdlConfig reads the papdl config in use (--config, $PAPDL_CONFIG,
// ~/.papdl/config).
func loadPapdlConfig(cmd *cobra.Command) (string, *apiserver.Config, error) {
	path := configPath(cmd)
	if path == "" {
		if path = defaultConfigPath(); path == "" {
			return "", nil, fmt.Errorf("no papdl config: give --config FILE or set $PAPDL_CONFIG")
		}
	}
	cfg, err := apiserver.LoadConfig(path)
	return path, cfg, err
}
