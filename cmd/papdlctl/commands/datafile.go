package commands

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/store"
)

// stdio is the file name that means standard input (-i -) or standard
// output (-o -) for the verbs that read and write data files.
const stdio = "-"

// maxStdinBytes bounds what -i - reads (a model input, not a model).
const maxStdinBytes = 1 << 30

// writeDataFile writes data atomically to path, or to standard output
// when path is "-".
func writeDataFile(cmd *cobra.Command, path string, data []byte) error {
	if path == stdio {
		if _, err := cmd.OutOrStdout().Write(data); err != nil {
			return fmt.Errorf("write standard output: %w", err)
		}
		return nil
	}
	if err := store.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readDataFile reads path, or standard input when path is "-".
func readDataFile(cmd *cobra.Command, path string) ([]byte, error) {
	if path != stdio {
		return os.ReadFile(path)
	}
	data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxStdinBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	if len(data) > maxStdinBytes {
		return nil, fmt.Errorf("standard input: more than %d bytes", maxStdinBytes)
	}
	return data, nil
}

// reportTo is where a verb writes its report: standard output, or
// standard error when the data goes there (-o -).
func reportTo(cmd *cobra.Command, path string) io.Writer {
	if path == stdio {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// displayPath names a data file in reports.
func displayPath(path string) string {
	if path == stdio {
		return "standard output"
	}
	return path
}
