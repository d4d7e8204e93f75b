package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/papdl/papdl/inference/wholefile"
	"github.com/papdl/papdl/inference/chain/chainauth"
)

// credentialsPath is where a model's chain credentials live: one PEM file
// per model, mode 0600 in a 0700 directory of the runtime's.
func (r *Runtime) credentialsPath(model string) string {
	return filepath.Join(r.cfg.Dir, "credentials", model+".pem")
}

// ensureCredentials returns the path of model's chain credentials,
// generating them on the model's first workload. They stay the same for
// every revision of the model (a workload left running by a new revision
// keeps talking to the restarted ones) and are deleted with the model by
// Clean. The path, never the secret, goes on the command line.
func (r *Runtime) ensureCredentials(model string) (string, error) {
	path := r.credentialsPath(model)
	if _, err := chainauth.Load(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("model %s: %w", model, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("model %s: credentials directory: %w", model, err)
	}
	bundle, err := chainauth.Generate(model, 0)
	if err != nil {
		return "", err
	}
	if err := wholefile.Write(path, bundle, 0o600); err != nil {
		return "", fmt.Errorf("model %s: credentials: %w", model, err)
	}
	return path, nil
}

// removeCredentials deletes model's chain credentials (its last workload
// is gone).
func (r *Runtime) removeCredentials(model string) error {
	if err := os.Remove(r.credentialsPath(model)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("model %s: remove credentials: %w", model, err)
	}
	return nil
}
