package commands

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print papdlctl's version and, with a papdl config, the controller's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Client Version: %s\n", buildVersion())
			c, err := apiClient(cmd)
			if err != nil || c == nil {
				return err
			}
			v, err := c.Version(cmd.Context())
			if err != nil {
				return fmt.Errorf("server version: %w", err)
			}
			fmt.Fprintf(w, "Server Version: %s (%s)\n", v, c.Server())
			return nil
		},
	}
}

// buildVersion is the module version and VCS revision papdlctl was built
// from, as the Go toolchain records them.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev
		if dirty {
			v += "-dirty"
		}
	}
	return v
}
