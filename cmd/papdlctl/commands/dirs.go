package commands

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// dirOptions are the directories the control-plane verbs share with the
// controller: where specs are declared and where state is kept.
type dirOptions struct {
	specsDir string
	stateDir string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// defaultDirs are the directories without flags: $PAPDL_SPECS_DIR and
// $PAPDL_STATE_DIR, or .papdl/specs and .papdl/state.
func defaultDirs() dirOptions {
	return dirOptions{specsDir: envOr("PAPDL_SPECS_DIR", ".papdl/specs"), stateDir: envOr("PAPDL_STATE_DIR", ".papdl/state")}
}

func (o *dirOptions) bindSpecs(fs *pflag.FlagSet) {
	fs.StringVar(&o.specsDir, "specs-dir", defaultDirs().specsDir, "the controller's specs directory ($PAPDL_SPECS_DIR)")
}

func (o *dirOptions) bindState(fs *pflag.FlagSet) {
	fs.StringVar(&o.stateDir, "state-dir", defaultDirs().stateDir, "the controller's state directory ($PAPDL_STATE_DIR)")
}

// dirsFromFlags reads the directory flags a command has (or their
// defaults) outside its RunE, for completion.
func dirsFromFlags(cmd *cobra.Command) dirOptions {
	d := defaultDirs()
	if f := cmd.Flag("specs-dir"); f != nil {
		d.specsDir = f.Value.String()
	}
	if f := cmd.Flag("state-dir"); f != nil {
		d.stateDir = f.Value.String()
	}
	return d
}
