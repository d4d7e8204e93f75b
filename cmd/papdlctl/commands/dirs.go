package commands

import (
	"os"

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

func (o *dirOptions) bindSpecs(fs *pflag.FlagSet) {
	fs.StringVar(&o.specsDir, "specs-dir", envOr("PAPDL_SPECS_DIR", ".papdl/specs"), "the controller's specs directory ($PAPDL_SPECS_DIR)")
}

func (o *dirOptions) bindState(fs *pflag.FlagSet) {
	fs.StringVar(&o.stateDir, "state-dir", envOr("PAPDL_STATE_DIR", ".papdl/state"), "the controller's state directory ($PAPDL_STATE_DIR)")
}
