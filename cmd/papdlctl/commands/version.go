package commands

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what version -o prints, as kubectl version -o does.
type versionInfo struct {
	ClientVersion string `json:"clientVersion"`
	ServerVersion string `json:"serverVersion,omitempty"`
	Server        string `json:"server,omitempty"`
}

// versionOutputs are the formats of version -o.
func versionOutputs() []string { return []string{outputJSON, outputYAML, outputJSONPath} }

func newVersionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version [-o json|yaml|jsonpath=TEMPLATE]",
		Short: "Print papdlctl's version and, with a papdl config, the controller's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := parseOutput(output, versionOutputs()...)
			if err != nil {
				return err
			}
			v := versionInfo{ClientVersion: buildVersion()}
			c, err := apiClient(cmd)
			if err != nil {
				return err
			}
			if c != nil {
				if v.ServerVersion, err = c.Version(cmd.Context()); err != nil {
					return fmt.Errorf("server version: %w", err)
				}
				v.Server = c.Server()
			}
			w := cmd.OutOrStdout()
			if !out.table() {
				return out.printValue(w, v)
			}
			fmt.Fprintf(w, "Client Version: %s\n", v.ClientVersion)
			if v.Server != "" {
				fmt.Fprintf(w, "Server Version: %s (%s)\n", v.ServerVersion, v.Server)
			}
			return nil
		},
	}
	bindOutputFlag(cmd, &output, "output format", versionOutputs())
	return cmd
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
